package io.t2c.graph.op;

/** One attribute an op accepts: its name, kind, whether it is required, and its default (null when none). */
public record AttrSpec(String name, Kind kind, boolean required, Object defaultValue) {
    public enum Kind { INT, INTS, FLOAT, FLOATS, STRING, STRINGS, TENSOR }

    public static AttrSpec required(String name, Kind kind) {
        return new AttrSpec(name, kind, true, null);
    }

    public static AttrSpec optional(String name, Kind kind, Object defaultValue) {
        return new AttrSpec(name, kind, false, defaultValue);
    }
}
