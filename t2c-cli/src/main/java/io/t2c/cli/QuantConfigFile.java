package io.t2c.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.t2c.quant.Rounding;
import io.t2c.quant.ptq.LayerOverride;
import io.t2c.quant.ptq.PtqConfig;
import io.t2c.tensor.T2cException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PTQ configs as YAML, with Torch2Chip's keys where it has them ({@code quantization.wqtype/xqtype/wbit/abit/
 * num_samples/requires_grad}, {@code train.lr/epochs/batch_size/optim_type/loss_type}) plus ours
 * ({@code quantization.reconstruction/rounding/drop_prob/cle/bias_correction/wide_gelu/overrides}, {@code train.iterations}, {@code seed}).
 * An unknown key is an error naming it; reading then writing a config gives the same config.
 */
final class QuantConfigFile {
    private QuantConfigFile() {}

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<String, Set<String>> KEYS = Map.of(
            "quantization", Set.of("wqtype", "xqtype", "wbit", "abit", "num_samples", "requires_grad",
                    "reconstruction", "rounding", "drop_prob", "cle", "bias_correction", "wide_gelu", "overrides"),
            "train", Set.of("lr", "scale_lr", "epochs", "iterations", "batch_size", "optim_type", "loss_type"),
            "seed", Set.of());
    private static final Set<String> OVERRIDE_KEYS = Set.of("pattern", "skip", "wbit", "abit", "wqtype", "xqtype");

    static PtqConfig read(Path file) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new T2cException("cannot read config " + file + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw new T2cException("config " + file + " must be a YAML mapping with quantization: and train: sections");
        }
        checkKeys(file, root);
        JsonNode q = root.path("quantization");
        JsonNode t = root.path("train");
        require(file, q, "wqtype");
        require(file, q, "xqtype");
        String optim = t.path("optim_type").asText("adam");
        if (!optim.equals("adam")) {
            throw new T2cException(file + ": train.optim_type '" + optim + "' is not supported for reconstruction; use adam");
        }
        String loss = t.path("loss_type").asText("mse");
        if (!loss.equals("mse")) {
            throw new T2cException(file + ": train.loss_type '" + loss + "' is not supported for reconstruction; use mse");
        }
        PtqConfig.Reconstruction recon = !q.path("requires_grad").asBoolean(true) ? PtqConfig.Reconstruction.NONE
                : PtqConfig.Reconstruction.valueOf(q.path("reconstruction").asText("layer").toUpperCase(java.util.Locale.ROOT));
        List<LayerOverride> overrides = new ArrayList<>();
        for (JsonNode o : q.path("overrides")) {
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!OVERRIDE_KEYS.contains(k)) {
                    throw new T2cException(file + ": unknown key quantization.overrides[].'" + k + "'; known: "
                            + OVERRIDE_KEYS);
                }
            }
            require(file, o, "pattern");
            overrides.add(new LayerOverride(o.get("pattern").asText(), o.path("skip").asBoolean(false),
                    o.has("wbit") ? o.get("wbit").asInt() : null, o.has("abit") ? o.get("abit").asInt() : null,
                    o.has("wqtype") ? o.get("wqtype").asText() : null, o.has("xqtype") ? o.get("xqtype").asText() : null));
        }
        return new PtqConfig(q.get("wqtype").asText(), q.get("xqtype").asText(), q.path("wbit").asInt(8),
                q.path("abit").asInt(8), q.path("num_samples").asInt(1024), t.path("batch_size").asInt(64), recon,
                t.path("lr").asDouble(1e-3), t.path("scale_lr").asDouble(t.path("lr").asDouble(1e-3)),
                t.path("epochs").asInt(1), t.path("iterations").asInt(0),
                Rounding.parse(q.path("rounding").asText("half-even")), q.path("drop_prob").asDouble(0.5),
                q.path("cle").asBoolean(false), q.path("bias_correction").asBoolean(false), overrides,
                root.path("seed").asLong(0), q.path("wide_gelu").asBoolean(false));
    }

    /** The config in the same keys, as written into the run folder. */
    static String write(PtqConfig c) {
        ObjectNode root = YAML.createObjectNode();
        ObjectNode q = root.putObject("quantization");
        q.put("wqtype", c.wq()).put("xqtype", c.aq()).put("wbit", c.wbit()).put("abit", c.abit())
                .put("num_samples", c.numSamples())
                .put("requires_grad", c.reconstruction() != PtqConfig.Reconstruction.NONE)
                .put("reconstruction", c.reconstruction().name().toLowerCase(java.util.Locale.ROOT))
                .put("rounding", c.rounding().id()).put("drop_prob", c.dropProb())
                .put("cle", c.crossLayerEqualization()).put("bias_correction", c.biasCorrection())
                .put("wide_gelu", c.wideGelu());
        var arr = q.putArray("overrides");
        for (LayerOverride o : c.overrides()) {
            ObjectNode n = arr.addObject().put("pattern", o.pattern());
            if (o.skip()) {
                n.put("skip", true);
            }
            if (o.wbit() != null) {
                n.put("wbit", o.wbit());
            }
            if (o.abit() != null) {
                n.put("abit", o.abit());
            }
            if (o.wq() != null) {
                n.put("wqtype", o.wq());
            }
            if (o.aq() != null) {
                n.put("xqtype", o.aq());
            }
        }
        root.putObject("train").put("lr", c.lr()).put("scale_lr", c.scaleLr()).put("epochs", c.epochs()).put("iterations", c.iterations())
                .put("batch_size", c.batchSize()).put("optim_type", "adam").put("loss_type", "mse");
        root.put("seed", c.seed());
        try {
            return YAML.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void checkKeys(Path file, JsonNode root) {
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Set<String> known = KEYS.get(e.getKey());
            if (known == null) {
                throw new T2cException(file + ": unknown key '" + e.getKey() + "'; known: " + KEYS.keySet());
            }
            if (!known.isEmpty()) {
                if (!e.getValue().isObject()) {
                    throw new T2cException(file + ": '" + e.getKey() + "' must be a mapping");
                }
                for (Iterator<String> f = e.getValue().fieldNames(); f.hasNext(); ) {
                    String k = f.next();
                    if (!known.contains(k)) {
                        throw new T2cException(file + ": unknown key '" + e.getKey() + "." + k + "'; known: " + known);
                    }
                }
            }
        }
    }

    private static void require(Path file, JsonNode section, String key) {
        if (!section.hasNonNull(key)) {
            throw new T2cException(file + ": missing key '" + key + "'");
        }
    }
}
