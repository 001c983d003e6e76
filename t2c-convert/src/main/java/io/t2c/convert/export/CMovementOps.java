package io.t2c.convert.export;

/**
 * C for the movement ops that reorder data: Transpose, Gather of one constant index, Expand (broadcast). They copy
 * codes unchanged. Flatten and Reshape move nothing in row-major order, so {@link CModel} lets their output share the
 * input's buffer; Shape and the INT64 Concat of shape vectors are constants at export time (one sample, static
 * shapes) and emit no code.
 */
final class CMovementOps {
    private CMovementOps() {}

    /** Row-major strides of a shape. */
    static long[] strides(int[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            st[d] = s;
            s *= shape[d];
        }
        return st;
    }

    /** One loop per output axis; {@code source[d]} is the input stride that output index i_d moves by. */
    private static void copyLoops(CNode c, int[] out, long[] source) {
        long[] outStrides = strides(out);
        StringBuilder dst = new StringBuilder();
        StringBuilder src = new StringBuilder();
        for (int d = 0; d < out.length; d++) {
            c.loop("i" + d, out[d]);
            dst.append(d == 0 ? "" : " + ").append(CNode.times("i" + d, outStrides[d]));
            if (source[d] != 0) {
                src.append(src.isEmpty() ? "" : " + ").append(CNode.times("i" + d, source[d]));
            }
        }
        c.line("y[" + (dst.isEmpty() ? "0" : dst) + "] = " + c.in(0) + "[" + (src.isEmpty() ? "0" : src) + "];");
        for (int d = 0; d < out.length; d++) {
            c.close();
        }
    }

    static void transpose(CNode c) {
        int[] s = c.inShape(0);
        int rank = s.length;
        int[] perm = c.a.getInts("perm", null);
        if (perm == null) {
            perm = new int[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = rank - 1 - i;
            }
        }
        long[] in = strides(s);
        long[] source = new long[rank];
        for (int d = 0; d < rank; d++) {
            source[d] = in[perm[d]];
        }
        c.line("/* perm " + java.util.Arrays.toString(perm) + " */");
        copyLoops(c, c.outShape(), source);
    }

    static void expand(CNode c) {
        int[] out = c.outShape();
        int[] xs = c.inShape(0);
        int rank = out.length;
        int[] padded = new int[rank];
        java.util.Arrays.fill(padded, 1);
        System.arraycopy(xs, 0, padded, rank - xs.length, xs.length);
        long[] in = strides(padded);
        long[] source = new long[rank];
        for (int d = 0; d < rank; d++) {
            source[d] = padded[d] == 1 ? 0 : in[d];
        }
        copyLoops(c, out, source);
    }

    static void gather(CNode c) {
        var index = c.inInfo(1);
        if (!index.hasValue() || index.value().size() != 1 || index.shape().length != 0) {
            throw c.error("the C export gathers one constant scalar index only");
        }
        int[] s = c.inShape(0);
        int axis = Math.floorMod(c.a.getInt("axis", 0), s.length);
        long idx = Math.floorMod(index.value().getLong(0), (long) s[axis]);
        int outer = 1;
        for (int d = 0; d < axis; d++) {
            outer *= s[d];
        }
        int inner = CNode.size(s) / outer / s[axis];
        c.line("/* index " + idx + " along axis " + axis + " */");
        c.loop("o", outer);
        c.loop("e", inner);
        c.line("y[o * " + inner + " + e] = " + c.in(0) + "[(o * " + s[axis] + " + " + idx + ") * " + inner + " + e];");
        c.close().close();
    }
}
