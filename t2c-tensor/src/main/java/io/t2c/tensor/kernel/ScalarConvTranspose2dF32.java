package io.t2c.tensor.kernel;

/** Reference {@link ConvTranspose2dF32}: direct scatter loops, one thread, in (c, i, j, u, v) order. */
public final class ScalarConvTranspose2dF32 implements ConvTranspose2dF32 {
    @Override
    public void convTranspose2d(ConvTranspose2dParams p, float[] x, float[] w, float[] bias, float[] y) {
        p.checkArrays(x, w, bias, y);
        int oc = p.outChannels();
        int oh = p.outH();
        int ow = p.outW();
        int cg = p.groupInChannels();
        int ocg = p.groupOutChannels();
        int kh = p.kernelH();
        int kw = p.kernelW();
        for (int n = 0; n < p.batch(); n++) {
            for (int o = 0; o < oc; o++) {
                float b = bias == null ? 0f : bias[o];
                java.util.Arrays.fill(y, (n * oc + o) * oh * ow, (n * oc + o + 1) * oh * ow, b);
            }
            for (int c = 0; c < p.inChannels(); c++) {
                int g = c / cg;
                for (int i = 0; i < p.inH(); i++) {
                    for (int j = 0; j < p.inW(); j++) {
                        float xv = x[((n * p.inChannels() + c) * p.inH() + i) * p.inW() + j];
                        for (int ol = 0; ol < ocg; ol++) {
                            int o = g * ocg + ol;
                            for (int u = 0; u < kh; u++) {
                                int oy = i * p.strideH() - p.padTop() + u * p.dilationH();
                                if (oy < 0 || oy >= oh) {
                                    continue;
                                }
                                for (int v = 0; v < kw; v++) {
                                    int ox = j * p.strideW() - p.padLeft() + v * p.dilationW();
                                    if (ox < 0 || ox >= ow) {
                                        continue;
                                    }
                                    y[((n * oc + o) * oh + oy) * ow + ox] += xv * w[((c * ocg + ol) * kh + u) * kw + v];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
