package io.t2c.tensor.kernel;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Optional;

/**
 * The kernel provider: chooses the Vector API or the scalar implementations once per JVM (Lucene's
 * {@code VectorizationProvider} pattern) and hands out one instance of each kernel family.
 *
 * <p>{@link #get()} picks the vector kernels when all of these hold, else the scalar ones:
 * <ul>
 *   <li>the {@code jdk.incubator.vector} module is loaded and readable ({@code --add-modules jdk.incubator.vector});
 *   <li>the JIT is HotSpot's C2 (not {@code -Xint}, not {@code -XX:TieredStopAtLevel<4}, not a JVMCI compiler):
 *       elsewhere the Vector API falls back to boxed Java code that is many times slower than plain loops;
 *   <li>the CPU's preferred vector shape is at least 256 bits.
 * </ul>
 * {@code -Dt2c.kernels=scalar} forces the scalar kernels; {@code -Dt2c.kernels=vector} skips the JIT and width
 * checks (the module must still be readable). The choice is logged as one line on {@code System.err} when it falls
 * back to scalar, or always with {@code -Dt2c.verbose=true}.
 *
 * <p>No code that touches the Vector API runs before these checks: species live in {@code VectorConstants},
 * loaded only through the vector classes.
 */
public final class Kernels {
    private final String name;
    private final String description;
    private final GemmF32 gemmF32;
    private final GemmS8 gemmS8;
    private final Conv2dF32 conv2dF32;
    private final ConvTranspose2dF32 convTranspose2dF32;

    Kernels(String name, String description, GemmF32 gemmF32, GemmS8 gemmS8, Conv2dF32 conv2dF32,
            ConvTranspose2dF32 convTranspose2dF32) {
        this.name = name;
        this.description = description;
        this.gemmF32 = gemmF32;
        this.gemmS8 = gemmS8;
        this.conv2dF32 = conv2dF32;
        this.convTranspose2dF32 = convTranspose2dF32;
    }

    /** The kernels chosen for this JVM (computed on first use, then fixed). */
    public static Kernels get() {
        return Holder.CHOSEN;
    }

    /** The scalar reference kernels, whatever the JVM supports. */
    public static Kernels scalar() {
        return ScalarHolder.SCALAR;
    }

    /**
     * The vector kernels if the {@code jdk.incubator.vector} module is readable, regardless of
     * {@code -Dt2c.kernels} and of the JIT and width checks (for tests and benchmarks); empty otherwise.
     */
    public static Optional<Kernels> vector() {
        return VectorHolder.VECTOR;
    }

    /** "vector" or "scalar". */
    public String name() {
        return name;
    }

    /** One line saying what these kernels are, e.g. the vector width and GEMM register tile. */
    public String description() {
        return description;
    }

    public boolean isVector() {
        return name.equals("vector");
    }

    public GemmF32 gemmF32() {
        return gemmF32;
    }

    public GemmS8 gemmS8() {
        return gemmS8;
    }

    public Conv2dF32 conv2dF32() {
        return conv2dF32;
    }

    public ConvTranspose2dF32 convTranspose2dF32() {
        return convTranspose2dF32;
    }

    @Override
    public String toString() {
        return "Kernels[" + description + "]";
    }

    // ---- selection ----

    private static final class ScalarHolder {
        static final Kernels SCALAR = new Kernels("scalar", "scalar (plain Java loops)", new ScalarGemmF32(),
                new ScalarGemmS8(), new ScalarConv2dF32(), new ScalarConvTranspose2dF32());
    }

    private static final class VectorHolder {
        static final Optional<Kernels> VECTOR =
                moduleRefusal() == null ? Optional.of(VectorKernels.create()) : Optional.empty();
    }

    private static final class Holder {
        static final Kernels CHOSEN = lookup();
    }

    private static Kernels lookup() {
        String flag = System.getProperty("t2c.kernels", "").trim().toLowerCase(Locale.ROOT);
        boolean verbose = Boolean.getBoolean("t2c.verbose");
        if (flag.equals("scalar")) {
            if (verbose) {
                log("scalar, as asked by -Dt2c.kernels=scalar");
            }
            return scalar();
        }
        String ignoredFlag = "";
        if (!flag.isEmpty() && !flag.equals("vector")) {
            ignoredFlag = " (ignored -Dt2c.kernels=" + flag + ": use scalar or vector)";
            verbose = true;
        }
        boolean forced = flag.equals("vector");
        String refusal = moduleRefusal();
        if (refusal == null && !forced) {
            refusal = jitRefusal();
            if (refusal == null) {
                int bits = VectorKernels.preferredBits();
                if (bits < 256) {
                    refusal = "the CPU's preferred vector size is " + bits + " bits and the vector kernels need"
                            + " at least 256 (force them with -Dt2c.kernels=vector)";
                }
            }
        }
        if (refusal != null) {
            log("scalar, because " + refusal + ignoredFlag);
            return scalar();
        }
        Kernels v = vector().orElseThrow();
        if (verbose) {
            log(v.description + (forced ? ", as asked by -Dt2c.kernels=vector" : "") + ignoredFlag);
        }
        return v;
    }

    /** Why the vector module cannot be used, or null when it can. */
    static String moduleRefusal() {
        Optional<Module> vectorModule = ModuleLayer.boot().findModule("jdk.incubator.vector");
        if (vectorModule.isEmpty()) {
            return "the jdk.incubator.vector module is not loaded: pass '--add-modules jdk.incubator.vector'"
                    + " to java to get the vector kernels";
        }
        Module self = Kernels.class.getModule();
        if (!self.canRead(vectorModule.get())) {
            return self + " cannot read jdk.incubator.vector: add 'requires jdk.incubator.vector'";
        }
        return null;
    }

    /** Why the JIT would make the Vector API slow, or null when it is C2. */
    static String jitRefusal() {
        String info = System.getProperty("java.vm.info", "");
        if (info.contains("interpreted mode")) {
            return "the JVM runs interpreted (-Xint), where the Vector API is much slower than plain loops";
        }
        String vm = System.getProperty("java.vm.name", "");
        if (!vm.contains("HotSpot") && !vm.contains("OpenJDK")) {
            return "the JVM is " + vm + ", not HotSpot, whose C2 JIT the Vector API needs to be fast";
        }
        try {
            var hotspot = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (hotspot != null) {
                if (Boolean.parseBoolean(vmOption(hotspot, "UseJVMCICompiler"))) {
                    return "a JVMCI compiler replaces C2 (-XX:+UseJVMCICompiler); the Vector API is only"
                            + " intrinsified by C2";
                }
                String stop = vmOption(hotspot, "TieredStopAtLevel");
                if (Boolean.parseBoolean(vmOption(hotspot, "TieredCompilation")) && stop != null
                        && Integer.parseInt(stop) < 4) {
                    return "C2 is disabled (-XX:TieredStopAtLevel=" + stop + "); the Vector API needs C2";
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // No management beans (minimal runtime image): the VM name check above has to do.
        }
        return null;
    }

    /** A HotSpot flag's value, or null when this VM has no such flag (e.g. UseJVMCICompiler without JVMCI). */
    private static String vmOption(com.sun.management.HotSpotDiagnosticMXBean hotspot, String name) {
        try {
            return hotspot.getVMOption(name).getValue();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static void log(String what) {
        System.err.println("t2c: kernels = " + what);
    }
}
