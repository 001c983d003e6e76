package io.t2c.convert.export;

import io.t2c.quant.Rounding;

/**
 * The fixed C text of the C reference: the arithmetic helpers at the top of model.c (floor division, the four
 * rounding shifts, the requantization, the double roundings of the input quantizer, the integer square root), the
 * harness main.c, the Makefile and README.txt. Every helper mirrors a function of {@code ReferenceExecutor} and is
 * written so no step relies on implementation-defined or undefined C: no right shift of a negative value, no
 * conversion of an out-of-range double to an integer; C99's truncating {@code /} and {@code %} are only used inside
 * the floor helpers.
 */
final class CRuntime {
    private CRuntime() {}

    /** The helper name suffix of a rounding mode: {@code half_up}, {@code half_even}, {@code half_away}, {@code floor}. */
    static String suffix(Rounding r) {
        return r.id().replace('-', '_');
    }

    static final String HELPERS = """
            /* ---- integer helpers (docs/NUMERICS.md); d > 0 in every division below ---------------------------- */

            /* floor(a / d) for d > 0: C99's / truncates towards zero, so step down when a negative a leaves a rest. */
            static inline int64_t t2c_floor_div(int64_t a, int64_t d)
            {
                int64_t q = a / d;
                return (a % d != 0 && a < 0) ? q - 1 : q;
            }

            /* a - d * floor(a / d) for d > 0: the remainder in [0, d). */
            static inline int64_t t2c_floor_mod(int64_t a, int64_t d)
            {
                int64_t r = a % d;
                return r < 0 ? r + d : r;
            }

            static inline int64_t t2c_clamp(int64_t v, int64_t lo, int64_t hi)
            {
                return v < lo ? lo : (v > hi ? hi : v);
            }

            /* p / 2^s rounded, 0 <= s <= 62, by floor division and remainder (no shift of a negative value). */
            static inline int64_t t2c_round_shift_floor(int64_t p, int s)
            {
                return t2c_floor_div(p, (int64_t)1 << s);
            }

            /* ties towards +infinity */
            static inline int64_t t2c_round_shift_half_up(int64_t p, int s)
            {
                int64_t d = (int64_t)1 << s;
                int64_t q = t2c_floor_div(p, d);
                return 2 * t2c_floor_mod(p, d) >= d ? q + 1 : q;
            }

            /* ties to the even quotient */
            static inline int64_t t2c_round_shift_half_even(int64_t p, int s)
            {
                int64_t d = (int64_t)1 << s;
                int64_t q = t2c_floor_div(p, d);
                int64_t twice_rem = 2 * t2c_floor_mod(p, d);
                return (twice_rem > d || (twice_rem == d && t2c_floor_mod(q, 2) == 1)) ? q + 1 : q;
            }

            /* ties away from zero */
            static inline int64_t t2c_round_shift_half_away(int64_t p, int s)
            {
                int64_t d = (int64_t)1 << s;
                int64_t q = t2c_floor_div(p, d);
                int64_t twice_rem = 2 * t2c_floor_mod(p, d);
                return (twice_rem > d || (twice_rem == d && p > 0)) ? q + 1 : q;
            }

            /* y = clamp(zy + roundShift(v * m, s), lo, hi); |v * m| < 2^62 is proven by the converter. */
            static inline int64_t t2c_requant_floor(int64_t v, int64_t m, int s, int64_t zy, int64_t lo, int64_t hi)
            {
                return t2c_clamp(zy + t2c_round_shift_floor(v * m, s), lo, hi);
            }

            static inline int64_t t2c_requant_half_up(int64_t v, int64_t m, int s, int64_t zy, int64_t lo, int64_t hi)
            {
                return t2c_clamp(zy + t2c_round_shift_half_up(v * m, s), lo, hi);
            }

            static inline int64_t t2c_requant_half_even(int64_t v, int64_t m, int s, int64_t zy, int64_t lo, int64_t hi)
            {
                return t2c_clamp(zy + t2c_round_shift_half_even(v * m, s), lo, hi);
            }

            static inline int64_t t2c_requant_half_away(int64_t v, int64_t m, int s, int64_t zy, int64_t lo, int64_t hi)
            {
                return t2c_clamp(zy + t2c_round_shift_half_away(v * m, s), lo, hi);
            }

            /* round(num / den) with ties towards +infinity, den > 0 (IntSoftmax's normalisation). */
            static inline int64_t t2c_div_half_up(int64_t num, int64_t den)
            {
                int64_t q = t2c_floor_div(num, den);
                return 2 * t2c_floor_mod(num, den) >= den ? q + 1 : q;
            }

            /* floor(sqrt(v)) for v >= 0, digit by digit, no floating point (IntLayerNorm). */
            static inline int64_t t2c_isqrt(int64_t v)
            {
                int64_t rem = v;
                int64_t root = 0;
                int64_t bit = (int64_t)1 << 62;
                while (bit > v) {
                    bit /= 4;
                }
                while (bit != 0) {
                    if (rem >= root + bit) {
                        rem -= root + bit;
                        root = root / 2 + bit;
                    } else {
                        root /= 2;
                    }
                    bit /= 4;
                }
                return root;
            }

            /* ---- the input quantizer's roundings, in double as Java's Math.floor / Math.rint ------------------- */

            #define T2C_TWO_52 4503599627370496.0 /* from 2^52 on every double is an integer */

            static inline double t2c_floor_double(double v)
            {
                double t;
                if (!(v > -T2C_TWO_52 && v < T2C_TWO_52)) {
                    return v; /* already integral, infinite or NaN */
                }
                t = (double)(int64_t)v; /* truncation, exact in this range */
                return t > v ? t - 1.0 : t;
            }

            static inline double t2c_round_double_floor(double v)
            {
                return t2c_floor_double(v);
            }

            static inline double t2c_round_double_half_up(double v)
            {
                return t2c_floor_double(v + 0.5);
            }

            static inline double t2c_round_double_half_away(double v)
            {
                return v < 0 ? -t2c_floor_double(-v + 0.5) : t2c_floor_double(v + 0.5);
            }

            static inline double t2c_round_double_half_even(double v)
            {
                double f;
                double rest;
                if (!(v > -T2C_TWO_52 && v < T2C_TWO_52)) {
                    return v;
                }
                f = t2c_floor_double(v);
                rest = v - f; /* exact */
                if (rest > 0.5) {
                    return f + 1.0;
                }
                if (rest < 0.5) {
                    return f;
                }
                return ((int64_t)f % 2 == 0) ? f : f + 1.0;
            }

            /* (int) max(lo, min(hi, c)) as Java evaluates it; NaN becomes 0 as Java's (int) NaN. */
            static inline int32_t t2c_code_of_double(double c, double lo, double hi)
            {
                if (c != c) {
                    return 0;
                }
                c = c < hi ? c : hi;
                c = c > lo ? c : lo;
                return (int32_t)c;
            }

            """;

    static final String MAIN = """
            /*
             * The harness of the C reference: reads float32 samples from a raw little-endian file, runs the integer model
             * on each, writes the float32 outputs to another raw little-endian file.
             *
             *   ./model INPUT.bin OUTPUT.bin
             *
             * INPUT.bin holds N samples of T2C_INPUT_SIZE float32 values each (row-major, C order), back to back;
             * OUTPUT.bin gets N records of T2C_OUTPUT_SIZE float32 values. Exit status 0 on success, 1 on a usage or I/O
             * error, 2 when the model reports an error (printed with the sample and the node).
             */
            #include <stdint.h>
            #include <stdio.h>
            #include <string.h>

            #include "model.h"

            static float input[T2C_INPUT_SIZE];
            static float output[T2C_OUTPUT_SIZE];

            /* Little-endian bytes to float and back, whatever the host's byte order. */
            static float float_from_le(const unsigned char *b)
            {
                uint32_t bits = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
                float f;
                memcpy(&f, &bits, sizeof f);
                return f;
            }

            static void float_to_le(float f, unsigned char *b)
            {
                uint32_t bits;
                memcpy(&bits, &f, sizeof bits);
                b[0] = (unsigned char)(bits & 0xff);
                b[1] = (unsigned char)((bits >> 8) & 0xff);
                b[2] = (unsigned char)((bits >> 16) & 0xff);
                b[3] = (unsigned char)((bits >> 24) & 0xff);
            }

            int main(int argc, char **argv)
            {
                static unsigned char bytes[4 * (T2C_INPUT_SIZE > T2C_OUTPUT_SIZE ? T2C_INPUT_SIZE : T2C_OUTPUT_SIZE)];
                FILE *in;
                FILE *out;
                long samples = 0;
                if (argc != 3) {
                    fprintf(stderr, "usage: %s INPUT.bin OUTPUT.bin (float32 little-endian, %d values per sample in,"
                            " %d out)\\n", argv[0], T2C_INPUT_SIZE, T2C_OUTPUT_SIZE);
                    return 1;
                }
                in = fopen(argv[1], "rb");
                if (in == NULL) {
                    fprintf(stderr, "cannot open %s\\n", argv[1]);
                    return 1;
                }
                out = fopen(argv[2], "wb");
                if (out == NULL) {
                    fprintf(stderr, "cannot create %s\\n", argv[2]);
                    fclose(in);
                    return 1;
                }
                for (;;) {
                    const char *failed_node = "";
                    size_t got = fread(bytes, 1, 4 * (size_t)T2C_INPUT_SIZE, in);
                    int rc;
                    int i;
                    if (got == 0) {
                        break;
                    }
                    if (got != 4 * (size_t)T2C_INPUT_SIZE) {
                        fprintf(stderr, "%s: the last sample is incomplete (%lu of %lu bytes)\\n", argv[1],
                                (unsigned long)got, 4 * (unsigned long)T2C_INPUT_SIZE);
                        fclose(in);
                        fclose(out);
                        return 1;
                    }
                    for (i = 0; i < T2C_INPUT_SIZE; i++) {
                        input[i] = float_from_le(bytes + 4 * i);
                    }
                    rc = t2c_model_run(input, output, &failed_node);
                    if (rc != T2C_OK) {
                        fprintf(stderr, "sample %ld: %s at node %s\\n", samples, t2c_error_name(rc), failed_node);
                        fclose(in);
                        fclose(out);
                        return 2;
                    }
                    for (i = 0; i < T2C_OUTPUT_SIZE; i++) {
                        float_to_le(output[i], bytes + 4 * i);
                    }
                    if (fwrite(bytes, 1, 4 * (size_t)T2C_OUTPUT_SIZE, out) != 4 * (size_t)T2C_OUTPUT_SIZE) {
                        fprintf(stderr, "cannot write %s\\n", argv[2]);
                        fclose(in);
                        fclose(out);
                        return 1;
                    }
                    samples++;
                }
                fclose(in);
                if (fclose(out) != 0) {
                    fprintf(stderr, "cannot write %s\\n", argv[2]);
                    return 1;
                }
                fprintf(stderr, "%ld samples\\n", samples);
                return 0;
            }
            """;

    /** The one compile command (also the Makefile's rule and what the export's own check runs). */
    static final String CFLAGS = CCheck.flags(2);

    static final String MAKEFILE = """
            # The C reference of the integer model: make && ./model input.bin output.bin
            CC = gcc
            CFLAGS ?= %s

            model: main.c model.c model.h
            \t$(CC) $(CFLAGS) -o model main.c model.c

            clean:
            \trm -f model

            .PHONY: clean
            """.formatted(CFLAGS);

    static String readme(String model, int[] inShape, int[] outShape) {
        return """
                C reference of the integer model %s (t2c export --to c)

                Build:  gcc %s -o model main.c model.c      (or: make)
                Run:    ./model input.bin output.bin

                input.bin:  N samples, each %s float32 values (shape %s, row-major), little-endian, back to back
                output.bin: N records, each %s float32 values (shape %s), little-endian

                model.h is the API (t2c_model_run, shapes as macros, error codes); model.c holds one function per node
                of the integer graph and its constants. The arithmetic is docs/NUMERICS.md of Torch2Chip for the JVM,
                bit for bit the same as its integer executor. C99 and the standard library only.
                """.formatted(model, CFLAGS, CNode.size(inShape), dims(inShape), CNode.size(outShape), dims(outShape));
    }

    static String dims(int[] shape) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            b.append(i == 0 ? "" : "x").append(shape[i]);
        }
        return b.toString();
    }
}
