package io.t2c.bench;

import io.t2c.graph.Graph;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.io.data.Datasets;
import io.t2c.models.ModelConfig;
import io.t2c.models.ModelZoo;
import io.t2c.quant.ptq.Ptq;
import io.t2c.quant.ptq.PtqConfig;
import java.nio.file.Path;

/**
 * Wall time of PTQ with Torch2Chip's shipped recipe (1024 calibration images, batch 64, Adam lr 1e-3, one pass: 16
 * steps per layer) on ResNet-20 for Fashion-MNIST, W8A8 minmax_channel + lsq. Args: [model bundle] (default: the
 * zoo's ResNet-20 with random weights, which costs the same), [runs] (default 3).
 */
public final class PtqBench {
    public static void main(String[] args) {
        Graph model = args.length > 0 && !args[0].equals("-") ? ModelBundle.read(Path.of(args[0]))
                : ModelZoo.build("resnet20", new ModelConfig(10, 1, 28, 0));
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        var data = Datasets.open("fashion-mnist:train");
        PtqConfig config = PtqConfig.defaults("minmax_channel", "lsq", 8, 8);
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            Ptq.Result r = Ptq.run(model, data, config, Ptq.Listener.NONE);
            double total = (System.nanoTime() - t0) / 1e9;
            System.out.printf("run %d: PTQ %.1f s (calibration %.1f s, reconstruction %.1f s), %d quantizers (%s)%n",
                    i + 1, total, r.calibrationSeconds(), r.reconstructionSeconds(), r.plan().positions().size(),
                    EndToEndBench.cpuName());
        }
    }
}
