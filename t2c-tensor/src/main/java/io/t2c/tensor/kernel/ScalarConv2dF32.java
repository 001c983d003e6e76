package io.t2c.tensor.kernel;

/** Reference {@link Conv2dF32}: direct loops, one thread, float accumulation starting from the bias. */
public final class ScalarConv2dF32 implements Conv2dF32 {
    @Override
    public Conv2dWeights prepare(Conv2dParams p, float[] w) {
        return new Conv2dWeights(p, w, null, this);
    }

    @Override
    public void conv2d(Conv2dParams p, float[] x, Conv2dWeights weights, float[] bias, float lo, float hi,
                       float[] y) {
        weights.check(p, this);
        float[] w = weights.raw;
        p.checkArrays(x, w, bias, y);
        int c = p.inChannels();
        int h = p.inH();
        int wd = p.inW();
        int oc = p.outChannels();
        int kh = p.kernelH();
        int kw = p.kernelW();
        int oh = p.outH();
        int ow = p.outW();
        int cg = p.groupInChannels();
        int ocg = p.groupOutChannels();
        for (int n = 0; n < p.batch(); n++) {
            for (int o = 0; o < oc; o++) {
                int g = o / ocg;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        float s = bias == null ? 0f : bias[o];
                        for (int ci = 0; ci < cg; ci++) {
                            int xc = ((n * c) + g * cg + ci) * h;
                            for (int u = 0; u < kh; u++) {
                                int iy = i * p.strideH() - p.padTop() + u * p.dilationH();
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int v = 0; v < kw; v++) {
                                    int ix = j * p.strideW() - p.padLeft() + v * p.dilationW();
                                    if (ix < 0 || ix >= wd) {
                                        continue;
                                    }
                                    s += x[(xc + iy) * wd + ix] * w[((o * cg + ci) * kh + u) * kw + v];
                                }
                            }
                        }
                        y[((n * oc + o) * oh + i) * ow + j] = Math.min(Math.max(s, lo), hi);
                    }
                }
            }
        }
    }

    @Override
    public void weightGradient(Conv2dParams p, float[] x, float[] gy, int outH, int outW, float[] gw) {
        p.checkWeightGradient(x, gy, outH, outW, gw);
        int cg = p.groupInChannels();
        int ocg = p.groupOutChannels();
        int kh = p.kernelH();
        int kw = p.kernelW();
        for (int o = 0; o < p.outChannels(); o++) {
            int g = o / ocg;
            for (int ci = 0; ci < cg; ci++) {
                for (int u = 0; u < kh; u++) {
                    for (int v = 0; v < kw; v++) {
                        float s = 0f;
                        for (int n = 0; n < p.batch(); n++) {
                            int xc = (n * p.inChannels() + g * cg + ci) * p.inH();
                            for (int i = 0; i < outH; i++) {
                                int iy = i * p.strideH() - p.padTop() + u * p.dilationH();
                                if (iy < 0 || iy >= p.inH()) {
                                    continue;
                                }
                                for (int j = 0; j < outW; j++) {
                                    int ix = j * p.strideW() - p.padLeft() + v * p.dilationW();
                                    if (ix >= 0 && ix < p.inW()) {
                                        s += gy[((n * p.outChannels() + o) * outH + i) * outW + j]
                                                * x[(xc + iy) * p.inW() + ix];
                                    }
                                }
                            }
                        }
                        gw[((o * cg + ci) * kh + u) * kw + v] = s;
                    }
                }
            }
        }
    }
}
