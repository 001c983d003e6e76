package io.t2c.quant;

import io.t2c.quant.algo.AdaRound;
import io.t2c.quant.algo.Lsq;
import io.t2c.quant.algo.MinMax;
import io.t2c.quant.algo.Mse;
import io.t2c.quant.algo.MxInt;
import io.t2c.quant.algo.Percentile;
import io.t2c.quant.algo.QDrop;
import io.t2c.tensor.T2cException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Quantizers by name: the built-ins, then every {@link Quantizer} listed by a jar on the class path under
 * {@code META-INF/services/io.t2c.quant.Quantizer}. A name taken twice is an error naming both classes.
 */
public final class QuantizerRegistry {
    private final Map<String, Quantizer> byName = new TreeMap<>();

    private static final class Holder {
        static final QuantizerRegistry DEFAULT = withServices(builtIns());
    }

    public QuantizerRegistry(List<Quantizer> quantizers) {
        for (Quantizer q : quantizers) {
            Quantizer old = byName.put(q.name(), q);
            if (old != null) {
                throw new T2cException("quantizer name '" + q.name() + "' is taken twice: " + old.getClass().getName()
                        + " and " + q.getClass().getName());
            }
        }
    }

    /** The built-ins and the quantizers found through ServiceLoader. */
    public static QuantizerRegistry standard() {
        return Holder.DEFAULT;
    }

    public static List<Quantizer> builtIns() {
        return List.of(MinMax.perTensor(), MinMax.perChannel(), MinMax.perToken(), MinMax.perTensorExactMin(),
                Mse.perTensor(), Mse.perChannel(),
                Percentile.perTensor(), Lsq.perTensor(), Lsq.perToken(), QDrop.perTensor(), QDrop.perToken(),
                AdaRound.perChannel(), AdaRound.perTensor(), new MxInt());
    }

    private static QuantizerRegistry withServices(List<Quantizer> builtIns) {
        List<Quantizer> all = new ArrayList<>(builtIns);
        ServiceLoader.load(Quantizer.class).forEach(all::add);
        return new QuantizerRegistry(all);
    }

    public Quantizer get(String name) {
        Quantizer q = byName.get(name);
        if (q == null) {
            throw new T2cException("unknown quantizer '" + name + "'; available: " + String.join(", ", byName.keySet()));
        }
        return q;
    }

    public Map<String, Quantizer> all() {
        return Collections.unmodifiableMap(byName);
    }
}
