package io.t2c.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.Map;

/**
 * Where a command writes. Human output goes to stdout normally; with {@code --json}, stdout carries exactly one
 * JSON object and the human output goes to stderr (DESIGN.md §5).
 */
final class Output {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final PrintWriter out;
    private final PrintWriter human;
    private final boolean json;

    Output(PrintWriter out, PrintWriter err, boolean json) {
        this.out = out;
        this.human = json ? err : out;
        this.json = json;
    }

    /** Stream for tables and summaries. */
    PrintWriter human() {
        return human;
    }

    boolean json() {
        return json;
    }

    /** Emits the command's result object when in JSON mode. */
    void result(Map<String, ?> result) {
        if (!json) {
            return;
        }
        try {
            out.println(JSON.writeValueAsString(result));
            out.flush();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
