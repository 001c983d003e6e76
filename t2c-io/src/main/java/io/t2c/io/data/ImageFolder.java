package io.t2c.io.data;

import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * An ImageNet-style folder, {@code DIR/<class>/**.jpg|png|...}: one sub-folder per class, classes numbered in the
 * order of their names (sorted as strings, like torchvision's {@code ImageFolder}), files in each class in sorted
 * path order, searched recursively. Hidden files and folders (names starting with '.') are skipped.
 *
 * <p>Images are decoded lazily, in {@link #batch}, with {@code javax.imageio} (JPEG, PNG, BMP, GIF, TIFF), converted
 * to RGB (grayscale replicated, alpha dropped) and preprocessed as torchvision's ImageNet evaluation transform
 * {@code Resize(resize), CenterCrop(crop), ToTensor(), Normalize(IMAGENET)}: the shorter side is resized to
 * {@code resize} (the longer to {@code floor(resize * long / short)}) with PIL's antialiased bilinear filter
 * (triangle filter widened by the scale factor when shrinking, 22-bit fixed-point weights, horizontal pass first,
 * uint8 rounding after each pass), then the centre {@code crop × crop} is taken (offsets rounded half-even), then
 * each channel becomes {@code (v/255 - mean) / std}. Defaults 256 and 224. Batches decode in parallel.
 */
public final class ImageFolder implements Dataset {
    public static final int DEFAULT_RESIZE = 256;
    public static final int DEFAULT_CROP = 224;
    public static final List<String> EXTENSIONS = List.of("jpg", "jpeg", "png", "bmp", "gif", "tif", "tiff");
    /** Larger images are refused before decoding (a decompression bomb would otherwise exhaust memory). */
    public static final long MAX_PIXELS = 1L << 26;

    private static final int PRECISION_BITS = 32 - 8 - 2; // as PIL's Resample.c
    private static final String LAYOUT = " (expected an ImageNet-style folder DIR/<class>/<image>.jpg|png)";

    private final Path root;
    private final int resize;
    private final int crop;
    private final List<String> classes;
    private final List<Path> files;
    private final int[] labels;
    private final float[][] tables;

    private ImageFolder(Path root, int resize, int crop, List<String> classes, List<Path> files, int[] labels) {
        this.root = root;
        this.resize = resize;
        this.crop = crop;
        this.classes = List.copyOf(classes);
        this.files = List.copyOf(files);
        this.labels = labels;
        this.tables = new float[3][];
        for (int c = 0; c < 3; c++) {
            tables[c] = Normalization.IMAGENET.table(c);
        }
    }

    /** Opens {@code root} with the default 256/224 preprocessing. */
    public static ImageFolder open(Path root) {
        return open(root, DEFAULT_RESIZE, DEFAULT_CROP);
    }

    /** Lists the classes and images of {@code root}; nothing is decoded yet. Requires {@code resize >= crop > 0}. */
    public static ImageFolder open(Path root, int resize, int crop) {
        if (crop <= 0 || resize < crop) {
            throw new T2cException("imagefolder " + root + ": need resize >= crop > 0, got resize " + resize
                    + ", crop " + crop);
        }
        DataFiles.requireDir(root, LAYOUT);
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(root)) {
            classDirs = s.filter(Files::isDirectory).filter(p -> !hidden(p)).sorted().toList();
        } catch (IOException e) {
            throw DataFiles.error(root, "cannot list: " + e, e);
        }
        if (classDirs.isEmpty()) {
            throw DataFiles.error(root, "no class folders" + LAYOUT);
        }
        List<String> classes = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (Path dir : classDirs) {
            List<Path> images;
            try (Stream<Path> s = Files.walk(dir)) {
                images = s.filter(Files::isRegularFile).filter(ImageFolder::isImage)
                        .filter(p -> !hiddenBelow(dir, p)).sorted().toList();
            } catch (IOException | java.io.UncheckedIOException e) {
                throw DataFiles.error(dir, "cannot list: " + e, e);
            }
            if (images.isEmpty()) {
                throw DataFiles.error(dir, "class folder holds no images (." + String.join(", .", EXTENSIONS) + ")");
            }
            for (Path f : images) {
                files.add(f);
                labels.add(classes.size());
            }
            classes.add(dir.getFileName().toString());
        }
        int[] lab = labels.stream().mapToInt(Integer::intValue).toArray();
        return new ImageFolder(root, resize, crop, classes, files, lab);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public int[] sampleShape() {
        return new int[] {3, crop, crop};
    }

    @Override
    public int numClasses() {
        return classes.size();
    }

    @Override
    public String name() {
        return "imagefolder:" + root + (resize != DEFAULT_RESIZE || crop != DEFAULT_CROP
                ? ",resize=" + resize + ",crop=" + crop : "");
    }

    @Override
    public Normalization normalization() {
        return Normalization.IMAGENET;
    }

    @Override
    public List<String> classNames() {
        return classes;
    }

    /** The image file of sample {@code i}. */
    public Path file(int i) {
        return files.get(i);
    }

    @Override
    public Batch batch(int[] indices) {
        int b = indices.length;
        int plane = crop * crop;
        long[] lab = new long[b];
        for (int s = 0; s < b; s++) {
            if (indices[s] < 0 || indices[s] >= files.size()) {
                throw new IndexOutOfBoundsException("sample " + indices[s] + " of " + name() + " (" + files.size()
                        + " images)");
            }
            lab[s] = labels[indices[s]];
        }
        float[] out = new float[b * 3 * plane];
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Parallel.forRange(b, 1, (from, to) -> {
            for (int s = from; s < to && failure.get() == null; s++) {
                try {
                    byte[][] rgb = load(files.get(indices[s]), resize, crop);
                    for (int c = 0; c < 3; c++) {
                        float[] t = tables[c];
                        int o = (s * 3 + c) * plane;
                        for (int p = 0; p < plane; p++) {
                            out[o + p] = t[rgb[c][p] & 0xFF];
                        }
                    }
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }
        });
        if (failure.get() != null) {
            throw failure.get();
        }
        return new Batch(Tensor.of(out, b, 3, crop, crop), Tensor.ofLongs(lab, b));
    }

    // ---- decoding and preprocessing ----

    /** Decodes {@code file}, resizes its shorter side to {@code resize}, centre-crops; RGB planes of crop² uint8. */
    static byte[][] load(Path file, int resize, int crop) {
        BufferedImage img = decode(file);
        int w = img.getWidth();
        int h = img.getHeight();
        byte[][] rgb = toRgb(img);
        // torchvision Resize(int): the shorter side becomes `resize`, the longer keeps the aspect ratio, truncated.
        int outW = w <= h ? resize : (int) ((long) resize * w / h);
        int outH = w <= h ? (int) ((long) resize * h / w) : resize;
        // torchvision CenterCrop: offsets int(round((size - crop) / 2.0)), Python's round being half-even.
        int top = (int) Math.rint((outH - crop) / 2.0);
        int left = (int) Math.rint((outW - crop) / 2.0);
        Coefficients cx = Coefficients.of(w, outW, left, crop);
        Coefficients cy = Coefficients.of(h, outH, top, crop);
        byte[][] out = new byte[3][];
        for (int c = 0; c < 3; c++) {
            byte[] horizontal = resampleRows(rgb[c], w, h, cx);
            out[c] = resampleColumns(horizontal, crop, h, cy);
        }
        return out;
    }

    private static BufferedImage decode(Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw DataFiles.error(file, "cannot open");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw DataFiles.error(file, "not an image javax.imageio can read (JPEG, PNG, BMP, GIF, TIFF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                // javax.imageio decodes a truncated JPEG with only a warning; PIL refuses it, and so do we.
                List<String> truncation = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> {
                    String w = warning.toLowerCase(Locale.ROOT);
                    if (w.contains("truncated") || w.contains("premature end")) {
                        truncation.add(warning);
                    }
                });
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS || pixels <= 0) {
                    throw DataFiles.error(file, "declares " + reader.getWidth(0) + "x" + reader.getHeight(0)
                            + " pixels; images over " + MAX_PIXELS + " pixels are refused");
                }
                BufferedImage img = reader.read(0);
                if (!truncation.isEmpty()) {
                    throw DataFiles.error(file, "truncated image: " + truncation.get(0));
                }
                return img;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof T2cException t) {
                throw t;
            }
            throw DataFiles.error(file, "cannot decode the image: " + e.getMessage(), e);
        }
    }

    /** The image as three uint8 planes, row-major: gray replicated, palettes looked up, alpha dropped. */
    private static byte[][] toRgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        byte[][] rgb = {new byte[w * h], new byte[w * h], new byte[w * h]};
        Raster raster = img.getRaster();
        int bands = raster.getNumBands();
        boolean gray = !(img.getColorModel() instanceof IndexColorModel) && (bands == 1 || bands == 2)
                && img.getColorModel().getNumColorComponents() == 1;
        if (gray) {
            // Raw samples: getRGB would push gray through a linear-to-sRGB conversion that PIL does not do.
            int bits = img.getColorModel().getComponentSize(0);
            int max = (1 << bits) - 1;
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    byte v = (byte) (bits == 8 ? row[x] : (row[x] * 255 + max / 2) / max);
                    rgb[0][y * w + x] = v;
                    rgb[1][y * w + x] = v;
                    rgb[2][y * w + x] = v;
                }
            }
            return rgb;
        }
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                rgb[0][y * w + x] = (byte) (p >> 16);
                rgb[1][y * w + x] = (byte) (p >> 8);
                rgb[2][y * w + x] = (byte) p;
            }
        }
        return rgb;
    }

    /**
     * PIL's resampling weights ({@code precompute_coeffs} with the bilinear filter, then
     * {@code normalize_coeffs_8bpc}) for output positions {@code first .. first+count-1} of an
     * {@code in -> out} resize: input window {@code start[i] .. start[i]+len[i]-1} and fixed-point weights.
     */
    record Coefficients(int[] start, int[] len, int[][] weights) {
        static Coefficients of(int in, int out, int first, int count) {
            double scale = (double) in / out;
            double filterScale = Math.max(scale, 1.0);
            double support = filterScale; // the bilinear filter's support is 1
            int[] start = new int[count];
            int[] len = new int[count];
            int[][] weights = new int[count][];
            double[] k = new double[(int) Math.ceil(2 * support) + 2];
            for (int i = 0; i < count; i++) {
                double center = (first + i + 0.5) * scale;
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), in) - xmin;
                double total = 0;
                for (int x = 0; x < xmax; x++) {
                    double t = Math.abs((x + xmin - center + 0.5) / filterScale);
                    k[x] = t < 1 ? 1 - t : 0;
                    total += k[x];
                }
                int[] fixed = new int[xmax];
                for (int x = 0; x < xmax; x++) {
                    double v = total != 0 ? k[x] / total : 0;
                    fixed[x] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
                }
                start[i] = xmin;
                len[i] = xmax;
                weights[i] = fixed;
            }
            return new Coefficients(start, len, weights);
        }
    }

    /** Horizontal pass: {@code w x h} to {@code count x h}. */
    private static byte[] resampleRows(byte[] src, int w, int h, Coefficients c) {
        int count = c.start.length;
        byte[] dst = new byte[count * h];
        for (int y = 0; y < h; y++) {
            int row = y * w;
            for (int i = 0; i < count; i++) {
                long acc = 1L << (PRECISION_BITS - 1);
                int[] k = c.weights[i];
                int s = row + c.start[i];
                for (int x = 0; x < k.length; x++) {
                    acc += (long) (src[s + x] & 0xFF) * k[x];
                }
                dst[y * count + i] = clip8(acc);
            }
        }
        return dst;
    }

    /** Vertical pass: {@code w x h} to {@code w x count}. */
    private static byte[] resampleColumns(byte[] src, int w, int h, Coefficients c) {
        int count = c.start.length;
        byte[] dst = new byte[w * count];
        for (int j = 0; j < count; j++) {
            int[] k = c.weights[j];
            for (int x = 0; x < w; x++) {
                long acc = 1L << (PRECISION_BITS - 1);
                for (int y = 0; y < k.length; y++) {
                    acc += (long) (src[(c.start[j] + y) * w + x] & 0xFF) * k[y];
                }
                dst[j * w + x] = clip8(acc);
            }
        }
        return dst;
    }

    private static byte clip8(long acc) {
        long v = acc >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : v > 255 ? 255 : v);
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    private static boolean hiddenBelow(Path dir, Path p) {
        for (Path part : dir.relativize(p)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }
}
