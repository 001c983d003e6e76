package io.t2c.quant;

import io.t2c.tensor.T2cException;
import java.util.Locale;

/**
 * How a real value becomes an integer. Explicit, because every rounding mode is a different piece of hardware and
 * {@link Math#round} (half up on the float) is none of them by accident. Values are rounded in double precision.
 */
public enum Rounding {
    /** Ties to the even neighbour (IEEE default; PyTorch's {@code torch.round}). */
    HALF_EVEN,
    /** Ties towards +∞: {@code floor(v + 0.5)}; the cheapest in hardware (add half, truncate). */
    HALF_UP,
    /** Ties away from zero (C's {@code round}). */
    HALF_AWAY,
    /** Towards −∞ (plain truncation of two's complement). */
    FLOOR;

    public double round(double v) {
        return switch (this) {
            case HALF_EVEN -> Math.rint(v);
            case HALF_UP -> Math.floor(v + 0.5);
            case HALF_AWAY -> v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
            case FLOOR -> Math.floor(v);
        };
    }

    /** The spelling in configs and graph attributes: {@code half-even}, {@code half-up}, ... */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Rounding parse(String id) {
        for (Rounding r : values()) {
            if (r.id().equals(id) || r.name().equalsIgnoreCase(id)) {
                return r;
            }
        }
        throw new T2cException("unknown rounding mode '" + id + "'; use half-even, half-up, half-away or floor");
    }
}
