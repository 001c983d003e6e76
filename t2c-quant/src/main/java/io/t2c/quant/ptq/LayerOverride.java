package io.t2c.quant.ptq;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;

/**
 * A per-layer exception to the run's defaults, for the layers whose node name matches a glob ({@code layer1.*},
 * {@code fc}, {@code *downsample*}): skip them (no quantizer on their inputs), or give other bit widths or
 * quantizers. Null fields keep the default. The first matching override wins.
 */
public record LayerOverride(String pattern, boolean skip, Integer wbit, Integer abit, String wq, String aq) {
    public boolean matches(String nodeName) {
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        return m.matches(Path.of(nodeName.replace('/', '_')));
    }
}
