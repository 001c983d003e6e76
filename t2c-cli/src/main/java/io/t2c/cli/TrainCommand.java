package io.t2c.cli;

import io.t2c.autograd.Adam;
import io.t2c.autograd.LearningRateSchedule;
import io.t2c.autograd.Optimizer;
import io.t2c.autograd.Sgd;
import io.t2c.autograd.Trainer;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.op.OpRegistry;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.io.data.Augmentation;
import io.t2c.io.data.Batch;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.io.data.Evaluation;
import io.t2c.models.ModelConfig;
import io.t2c.models.ModelZoo;
import io.t2c.models.StateDicts;
import io.t2c.quant.ptq.BiasGrid;
import io.t2c.quant.qat.Qat;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.kernel.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "train", description = "Train a zoo architecture on a dataset and save it as a model bundle.",
        footer = {"%nExample:%n  ./t2c train resnet20 --data fashion-mnist:train --epochs 30 --out models/resnet20_fmnist",
                "%nThe model is evaluated on --eval-data after every epoch and saved (atomically) after every epoch,",
                "so an interrupted run leaves the last finished epoch. Same seed and thread count: same weights."},
        mixinStandardHelpOptions = true)
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ARCH", description = "zoo architecture (e.g. resnet20, vgg_small_x0_25, mobilenet_v1_x0_5,"
            + " vit_mini_patch4), or a model bundle / ONNX file whose weights training starts from")
    String arch;

    @Option(names = "--qat", paramLabel = "CONFIG", description = "quantization-aware training: place and calibrate the"
            + " quantizers of this PTQ config (YAML) on the trained float MODEL given as ARCH, then train through them")
    Path qat;

    @Option(names = "--data", defaultValue = "fashion-mnist:train", description = "training data (default ${DEFAULT-VALUE})")
    String data;

    @Option(names = "--eval-data", defaultValue = "fashion-mnist:test", description = "evaluated after each epoch (default ${DEFAULT-VALUE}); 'none' to skip")
    String evalData;

    @Option(names = "--out", required = true, paramLabel = "MODEL", description = "output model bundle (folder)")
    Path out;

    @Option(names = "--epochs", defaultValue = "10", description = "epochs (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch", defaultValue = "128", description = "mini-batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--optimizer", defaultValue = "sgd", description = "sgd, adam or adamw (default ${DEFAULT-VALUE})")
    String optimizerName;

    @Option(names = "--lr", defaultValue = "0.1", description = "peak learning rate (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default ${DEFAULT-VALUE})")
    double momentum;

    @Option(names = "--nesterov", description = "Nesterov momentum (SGD)")
    boolean nesterov;

    @Option(names = "--weight-decay", defaultValue = "5e-4", description = "weight decay (default ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--schedule", defaultValue = "cosine", description = "constant, step, cosine or warmup-cosine (default ${DEFAULT-VALUE})")
    String schedule;

    @Option(names = "--warmup-epochs", defaultValue = "1", description = "warm-up epochs for warmup-cosine (default ${DEFAULT-VALUE})")
    int warmupEpochs;

    @Option(names = "--label-smoothing", defaultValue = "0", description = "cross-entropy label smoothing (default ${DEFAULT-VALUE})")
    double labelSmoothing;

    @Option(names = "--augment", defaultValue = "crop,flip", description = "augmentations: crop, flip, both (crop,flip) or none (default ${DEFAULT-VALUE})")
    String augment;

    @Option(names = "--seed", defaultValue = "0", description = "seed of initial weights, shuffling and augmentation (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    @Override
    public Integer call() {
        if (epochs < 1 || batch < 1) {
            throw new T2cException("--epochs and --batch must be at least 1");
        }
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        Dataset train = Datasets.open(data);
        Dataset test = evalData.equals("none") ? null : Datasets.open(evalData);
        int[] shape = train.sampleShape();
        Graph start = startingModel(new ModelConfig(train.numClasses(), shape[0], shape[1], seed));
        Graph model;
        List<String> trainable;
        if (qat != null) {
            Qat.Prepared p = Qat.prepare(start, train, QuantConfigFile.read(qat));
            model = p.model();
            trainable = p.trainable();
        } else {
            model = start;
            trainable = Trainer.defaultTrainable(model);
        }
        String archName = model.metadata().getOrDefault("arch", model.name());
        int stepsPerEpoch = (train.size() + batch - 1) / batch;
        Trainer trainer = new Trainer(model, trainable, optimizer(), schedule(stepsPerEpoch), labelSmoothing, seed,
                OpRegistry.standard());
        Augmentation aug = augmentation();
        Trainer.BatchSource source = new Trainer.BatchSource() {
            @Override
            public int size() {
                return train.size();
            }

            @Override
            public Trainer.MiniBatch batch(int[] indices, SplittableRandom rng) {
                Batch b = aug.apply(train.batch(indices), rng);
                return new Trainer.MiniBatch(Map.of(model.inputs().get(0).name(), b.images()), b.labels());
            }
        };
        var w = o.human();
        w.printf("training %s%s (%,d parameters) on %s (%,d samples), %d epochs, batch %d, %s, %d threads%n", archName,
                qat == null ? "" : " through quantizers of " + qat, StateDicts.parameterCount(model), train.name(),
                train.size(), epochs, batch, optimizerName,
                Parallel.threads());
        w.flush();
        Table table = new Table("epoch", "loss", "train top-1", "test top-1", "lr", "time").numeric(0, 1, 2, 3, 4, 5);
        List<Map<String, Object>> history = new ArrayList<>();
        double testAcc = Double.NaN;
        for (int e = 0; e < epochs; e++) {
            Progress bar = new Progress(spec.commandLine().getErr(), "epoch " + (e + 1) + "/" + epochs, train.size());
            Trainer.EpochStats st = trainer.epoch(e, source, batch,
                    (done, total, loss, acc) -> bar.update(done, String.format("loss %.4f acc %.2f%%", loss, 100 * acc)));
            Graph current = trainer.model().withMetadata("arch", archName);
            if (qat != null) {
                // Evaluated and saved with biases on the accumulator grid, as the integer model will hold them.
                current = BiasGrid.snap(current);
            }
            if (test != null) {
                testAcc = Evaluation.top1(new Executor(current), test, 0, 256, null).accuracy();
            }
            Graph saved = provenance(current, e + 1, testAcc);
            ModelBundle.write(saved, out);
            table.add(e + 1, String.format("%.4f", st.meanLoss()), Table.percent(st.accuracy()),
                    test == null ? "-" : Table.percent(testAcc),
                    String.format("%.4g", trainer.steps() > 0 ? schedule(stepsPerEpoch).at(trainer.steps() - 1) : lr),
                    String.format("%.0f s", st.seconds()));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("epoch", e + 1);
            row.put("loss", st.meanLoss());
            row.put("train_top1", st.accuracy());
            row.put("test_top1", test == null ? null : testAcc);
            row.put("seconds", st.seconds());
            history.add(row);
        }
        table.print(w);
        w.println("saved " + out);
        w.flush();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("arch", archName);
        r.put("dataset", train.name());
        r.put("epochs", epochs);
        r.put("test_top1", test == null ? null : testAcc);
        r.put("history", history);
        r.put("out", out.toString());
        o.result(r);
        return 0;
    }

    private Graph provenance(Graph g, int epochsDone, double testAcc) {
        return g.withMetadata("train.command", "t2c train " + arch + (qat == null ? "" : " --qat " + qat) + " --data " + data + " --epochs " + epochs
                        + " --batch " + batch + " --optimizer " + optimizerName + " --lr " + lr + " --momentum " + momentum
                        + (nesterov ? " --nesterov" : "") + " --weight-decay " + weightDecay + " --schedule " + schedule
                        + " --warmup-epochs " + warmupEpochs + " --label-smoothing " + labelSmoothing + " --augment "
                        + augment + " --seed " + seed)
                .withMetadata("train.epochs_done", Integer.toString(epochsDone))
                .withMetadata("train.threads", Integer.toString(Parallel.threads()))
                .withMetadata("eval.dataset", evalData)
                .withMetadata("eval.top1", Double.toString(testAcc));
    }

    /** The zoo architecture with fresh weights, or the model file ARCH names (required for --qat). */
    private Graph startingModel(ModelConfig config) {
        Path file = Path.of(arch);
        if (Files.exists(file)) {
            return ModelFiles.load(file);
        }
        if (qat != null) {
            throw new T2cException("--qat fine-tunes trained float weights: give a model bundle or ONNX file as ARCH"
                    + " (e.g. ./t2c train models/resnet20_fmnist --qat configs/resnet20_lsq.yaml --out ...), not '"
                    + arch + "'");
        }
        ModelZoo.entry(arch); // a clear error for an unknown architecture
        return ModelZoo.build(arch, config);
    }

    private Optimizer optimizer() {
        return switch (optimizerName) {
            case "sgd" -> new Sgd(lr, momentum, nesterov, weightDecay);
            case "adam" -> Adam.adam(lr, 0.9, 0.999, 1e-8, weightDecay);
            case "adamw" -> Adam.adamW(lr, 0.9, 0.999, 1e-8, weightDecay);
            default -> throw new T2cException("--optimizer must be sgd, adam or adamw, got '" + optimizerName + "'");
        };
    }

    private LearningRateSchedule schedule(int stepsPerEpoch) {
        int total = epochs * stepsPerEpoch;
        return switch (schedule) {
            case "constant" -> LearningRateSchedule.constant(lr);
            case "step" -> LearningRateSchedule.step(lr, Math.max(1, total / 3), 0.1);
            case "cosine" -> LearningRateSchedule.cosine(lr, 0, total);
            case "warmup-cosine" -> LearningRateSchedule.cosineWithWarmup(lr, 0, warmupEpochs * stepsPerEpoch, total);
            default -> throw new T2cException("--schedule must be constant, step, cosine or warmup-cosine, got '"
                    + schedule + "'");
        };
    }

    private Augmentation augmentation() {
        return switch (augment) {
            case "none" -> Augmentation.none();
            case "crop" -> Augmentation.randomCrop(4);
            case "flip" -> Augmentation.horizontalFlip(0.5);
            case "crop,flip", "flip,crop", "both" -> Augmentation.cropAndFlip(4);
            default -> throw new T2cException("--augment must be crop, flip, crop,flip or none, got '" + augment + "'");
        };
    }
}
