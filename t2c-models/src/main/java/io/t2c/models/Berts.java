package io.t2c.models;

import io.t2c.graph.Graph;
import io.t2c.tensor.DType;

/**
 * BERT encoders with a sequence-classification head, named as Hugging Face's {@code BertForSequenceClassification}:
 * {@code bert.embeddings.{word_embeddings, position_embeddings, token_type_embeddings, LayerNorm}}, layers
 * {@code bert.encoder.layer.i.attention.self.{query, key, value}}, {@code .attention.output.{dense, LayerNorm}},
 * {@code .intermediate.dense}, {@code .output.{dense, LayerNorm}}, then {@code bert.pooler.dense} (tanh on the first
 * token) and {@code classifier}. Post-LayerNorm blocks, eps 1e-12, exact (erf) GELU.
 *
 * <p>Inputs: {@code input_ids} INT64 {@code [N, L]} and, unless the spec leaves it out, {@code attention_mask}
 * INT64 {@code [N, L]} (1 = attend, 0 = padding; added to the scores as {@code (1 − mask)·float32.min}, as HF does).
 * Batch and length are both dynamic (L ≤ max positions). Token types are all 0 (single-segment input), so
 * {@code token_type_embeddings[0]} is added to every token. Output {@code classifier [N, labels]}.
 */
public final class Berts {
    private Berts() {}

    /** Geometry of a BERT: vocabulary, width, layers, heads, FFN width, positions, token types, mask input. */
    public record Spec(int vocabSize, int hidden, int layers, int heads, int intermediate, int maxPositions,
                       int typeVocabSize, boolean attentionMask) {
        public Spec {
            if (hidden % heads != 0) {
                throw new IllegalArgumentException("hidden " + hidden + " does not split into " + heads + " heads");
            }
        }

        public Spec withoutAttentionMask() {
            return new Spec(vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocabSize, false);
        }
    }

    /** bert-base-uncased. */
    public static final Spec BASE = new Spec(30522, 768, 12, 12, 3072, 512, 2, true);
    /** BERT-mini (Turc et al. 2019, google/bert_uncased_L-4_H-256_A-4). */
    public static final Spec MINI = new Spec(30522, 256, 4, 4, 1024, 512, 2, true);

    public static Graph build(String arch, Spec s, int numLabels, long seed) {
        ModelBuilder b = new ModelBuilder(arch, seed);
        int d = s.hidden();
        int dh = d / s.heads();
        String ids = b.input("input_ids", DType.INT64, -1, -1);
        String mask = s.attentionMask() ? b.input("attention_mask", DType.INT64, -1, -1) : null;
        // runtime shapes [N, L, H, dh] and [N, L, D] from the ids' [N, L]
        String nl = b.shapeOf("batch_and_length", ids, 0, 2);
        String headsShape = b.concat("heads_shape", 0, nl, b.ints("heads_shape", "dims", s.heads(), dh));
        String tokensShape = b.concat("tokens_shape", 0, nl, b.ints("tokens_shape", "dims", d));
        String seqLen = b.shapeOf("length", ids, 1, 2);

        String e = "bert.embeddings";
        // parameters in HF's state-dict order: word, position, token type embeddings, then LayerNorm
        String x = b.embedding(e + ".word_embeddings", ids, s.vocabSize(), d);
        String positions = b.uniform(e + ".position_embeddings.weight", Math.sqrt(3), s.maxPositions(), d);
        String types = b.uniform(e + ".token_type_embeddings.weight", Math.sqrt(3), s.typeVocabSize(), d);
        x = b.add(e + "/add_token_type", x, b.select(e + ".token_type_embeddings", types, 0, 0));
        String pos = b.op(e + ".position_embeddings", "Slice", positions, b.ints(e + ".position_embeddings", "start", 0),
                seqLen, b.ints(e + ".position_embeddings", "axis", 0));
        x = b.add(e + "/add_position", x, pos);
        x = b.layerNorm(e + ".LayerNorm", b.reshape(e + "/to_rows", x, -1, d), 1e-12);

        String extendedMask = null;
        if (mask != null) {
            // (1 − mask[:, None, None, :]) · finfo(float32).min
            String m = b.op("extended_attention_mask/unsqueeze", "Unsqueeze",
                    b.cast("extended_attention_mask/cast", mask, DType.FLOAT32),
                    b.ints("extended_attention_mask", "axes", 1, 2));
            m = b.op("extended_attention_mask/invert", "Sub", b.scalar("extended_attention_mask", "one", 1f), m);
            extendedMask = b.mul("extended_attention_mask", m, b.scalar("extended_attention_mask", "min", -Float.MAX_VALUE));
        }
        for (int i = 0; i < s.layers(); i++) {
            x = layer(b, "bert.encoder.layer." + i, x, s, headsShape, extendedMask);
        }
        String first = b.select("bert.pooler/first_token", b.reshapeTo("bert.pooler/from_rows", x, tokensShape), 1, 0);
        String pooled = b.tanh("bert.pooler.activation", b.linear("bert.pooler.dense", first, d));
        return b.output(b.linear("classifier", pooled, numLabels)).metadata("arch", arch).build();
    }

    /** HF {@code BertLayer}: LN(x + attention), then LN(h + output(gelu(intermediate(h)))). */
    static String layer(ModelBuilder b, String m, String x, Spec s, String headsShape, String mask) {
        String a = selfAttention(b, m + ".attention.self", x, s, headsShape, mask);
        a = b.linear(m + ".attention.output.dense", a, s.hidden());
        String h = b.layerNorm(m + ".attention.output.LayerNorm", b.add(m + ".attention.output/add", a, x), 1e-12);
        String f = b.gelu(m + ".intermediate.intermediate_act_fn", b.linear(m + ".intermediate.dense", h, s.intermediate()));
        f = b.linear(m + ".output.dense", f, s.hidden());
        return b.layerNorm(m + ".output.LayerNorm", b.add(m + ".output/add", f, h), 1e-12);
    }

    /** HF {@code BertSelfAttention}: heads of query, key, value; softmax(q·kᵀ/√dh + mask)·v; heads merged to rows. */
    static String selfAttention(ModelBuilder b, String m, String x, Spec s, String headsShape, String mask) {
        int d = s.hidden();
        int dh = d / s.heads();
        String q = b.transpose(m + "/q_heads", b.reshapeTo(m + "/q_view", b.linear(m + ".query", x, d), headsShape),
                0, 2, 1, 3);
        String kT = b.transpose(m + "/k_heads_t", b.reshapeTo(m + "/k_view", b.linear(m + ".key", x, d), headsShape),
                0, 2, 3, 1);
        String v = b.transpose(m + "/v_heads", b.reshapeTo(m + "/v_view", b.linear(m + ".value", x, d), headsShape),
                0, 2, 1, 3);
        String o = mask == null ? b.attention(m, q, kT, v, 1 / Math.sqrt(dh))
                : b.attention(m, q, kT, v, 1 / Math.sqrt(dh), mask);
        return b.reshape(m + "/merge_heads", b.transpose(m + "/transpose_out", o, 0, 2, 1, 3), -1, d);
    }
}
