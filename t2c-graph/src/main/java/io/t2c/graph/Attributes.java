package io.t2c.graph;

import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A node's attributes: an ordered name → value map. Values are {@code Long}, {@code Double}, {@code String},
 * {@code long[]}, {@code double[]}, {@code String[]} or {@link Tensor}; the typed getters convert and name the node
 * in errors. Immutable once built.
 */
public final class Attributes {
    public static final Attributes EMPTY = new Attributes(Map.of());

    private final Map<String, Object> values;

    private Attributes(Map<String, Object> values) {
        this.values = values;
    }

    public static Attributes of(Map<String, Object> values) {
        Map<String, Object> copy = new LinkedHashMap<>();
        values.forEach((k, v) -> copy.put(k, normalize(k, v)));
        return new Attributes(Collections.unmodifiableMap(copy));
    }

    /** Builds from alternating name, value pairs: {@code Attributes.of("axis", 1, "epsilon", 1e-5)}. */
    public static Attributes of(Object... nameValuePairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValuePairs.length; i += 2) {
            m.put((String) nameValuePairs[i], nameValuePairs[i + 1]);
        }
        return of(m);
    }

    private static Object normalize(String name, Object v) {
        return switch (v) {
            case Integer i -> (long) i;
            case Long l -> l;
            case Float f -> (double) f;
            case Double d -> d;
            case String s -> s;
            case int[] a -> Arrays.stream(a).asLongStream().toArray();
            case long[] a -> a.clone();
            case float[] a -> {
                double[] d = new double[a.length];
                for (int i = 0; i < a.length; i++) {
                    d[i] = a[i];
                }
                yield d;
            }
            case double[] a -> a.clone();
            case String[] a -> a.clone();
            case Tensor t -> t;
            default -> throw new IllegalArgumentException("attribute " + name + ": unsupported value type "
                    + v.getClass().getSimpleName());
        };
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public Map<String, Object> asMap() {
        return values;
    }

    /** A copy with one attribute set (or replaced). */
    public Attributes with(String name, Object value) {
        Map<String, Object> m = new LinkedHashMap<>(values);
        m.put(name, value);
        return of(m);
    }

    /** A copy without the named attribute. */
    public Attributes without(String name) {
        Map<String, Object> m = new LinkedHashMap<>(values);
        m.remove(name);
        return new Attributes(Collections.unmodifiableMap(m));
    }

    public long getLong(String name, long dflt) {
        Object v = values.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Long l) {
            return l;
        }
        throw typeError(name, v, "an integer");
    }

    public int getInt(String name, int dflt) {
        return Math.toIntExact(getLong(name, dflt));
    }

    public double getDouble(String name, double dflt) {
        Object v = values.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Double d) {
            return d;
        }
        if (v instanceof Long l) {
            return l;
        }
        throw typeError(name, v, "a float");
    }

    public float getFloat(String name, float dflt) {
        return (float) getDouble(name, dflt);
    }

    public String getString(String name, String dflt) {
        Object v = values.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw typeError(name, v, "a string");
    }

    /** Integer list, or {@code null} when absent. */
    public long[] getLongs(String name) {
        Object v = values.get(name);
        if (v == null) {
            return null;
        }
        if (v instanceof long[] a) {
            return a.clone();
        }
        if (v instanceof Long l) {
            return new long[] {l};
        }
        throw typeError(name, v, "a list of integers");
    }

    /** Integer list as ints, or {@code dflt} when absent. */
    public int[] getInts(String name, int[] dflt) {
        long[] a = getLongs(name);
        if (a == null) {
            return dflt;
        }
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = Math.toIntExact(a[i]);
        }
        return out;
    }

    public double[] getDoubles(String name) {
        Object v = values.get(name);
        if (v == null) {
            return null;
        }
        if (v instanceof double[] a) {
            return a.clone();
        }
        throw typeError(name, v, "a list of floats");
    }

    public String[] getStrings(String name) {
        Object v = values.get(name);
        if (v == null) {
            return null;
        }
        if (v instanceof String[] a) {
            return a.clone();
        }
        throw typeError(name, v, "a list of strings");
    }

    public Tensor getTensor(String name) {
        Object v = values.get(name);
        if (v == null || v instanceof Tensor) {
            return (Tensor) v;
        }
        throw typeError(name, v, "a tensor");
    }

    private static T2cException typeError(String name, Object v, String expected) {
        return new T2cException("attribute '" + name + "' should be " + expected + " but is "
                + v.getClass().getSimpleName());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        values.forEach((k, v) -> {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(k).append('=').append(switch (v) {
                case long[] a -> Arrays.toString(a);
                case double[] a -> Arrays.toString(a);
                case String[] a -> Arrays.toString(a);
                default -> String.valueOf(v);
            });
        });
        return sb.append('}').toString();
    }
}
