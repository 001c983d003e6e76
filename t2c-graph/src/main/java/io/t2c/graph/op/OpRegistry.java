package io.t2c.graph.op;

import io.t2c.tensor.T2cException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The one list of ops: name → definition. {@link #standard()} holds every built-in op ({@link StandardOps}) and the
 * ops of every {@link OpProvider} on the class path.
 */
public final class OpRegistry {
    private final Map<String, OpDef> ops = new TreeMap<>();

    private static final class Holder {
        static final OpRegistry STANDARD = new OpRegistry(standardAndProvided());
    }

    private static List<OpDef> standardAndProvided() {
        List<OpDef> defs = new ArrayList<>(StandardOps.all());
        for (OpProvider p : ServiceLoader.load(OpProvider.class)) {
            defs.addAll(p.ops());
        }
        return defs;
    }

    public OpRegistry(List<OpDef> defs) {
        for (OpDef d : defs) {
            if (ops.put(d.name(), d) != null) {
                throw new IllegalStateException("op " + d.name() + " registered twice");
            }
        }
    }

    public static OpRegistry standard() {
        return Holder.STANDARD;
    }

    public boolean has(String name) {
        return ops.containsKey(name);
    }

    public OpDef get(String name) {
        OpDef d = ops.get(name);
        if (d == null) {
            throw new T2cException("op '" + name + "' is not supported; supported ops: " + ops.keySet());
        }
        return d;
    }

    public Map<String, OpDef> all() {
        return Collections.unmodifiableMap(ops);
    }
}
