package io.t2c.convert.export;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * C identifiers for graph names: every character other than {@code A-Z a-z 0-9 _} becomes {@code _}, runs of
 * {@code _} shrink to one, a leading digit gets a prefix, and clashes (case-sensitive, plus C keywords and our
 * {@code t2c_} names) get {@code _2}, {@code _3}... So {@code /layer1.0/conv1/Conv} becomes {@code layer1_0_conv1_Conv}.
 */
final class CNames {
    private static final Set<String> RESERVED = Set.of("auto", "break", "case", "char", "const", "continue",
            "default", "do", "double", "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
            "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
            "union", "unsigned", "void", "volatile", "while", "main", "input", "output", "rc", "failed_node",
            // what model.c and main.c see from <string.h>, <stdio.h> and <stdint.h>
            "memcpy", "memmove", "memset", "memcmp", "memchr", "strlen", "strcpy", "strncpy", "strcat", "strcmp",
            "strncmp", "strchr", "strrchr", "strstr", "strerror", "fopen", "fclose", "fread", "fwrite", "fprintf",
            "printf", "stderr", "stdout", "stdin", "FILE", "NULL", "size_t");
    private final Set<String> used = new HashSet<>();

    /** A fresh identifier for {@code name}, prefixed with {@code prefix} (may be empty). */
    String fresh(String prefix, String name) {
        String base = prefix + sanitize(name);
        if (base.isEmpty() || Character.isDigit(base.charAt(0))) {
            base = "n_" + base;
        }
        String id = base;
        for (int k = 2; RESERVED.contains(id) || id.toLowerCase(Locale.ROOT).startsWith("t2c_") || !used.add(id); k++) {
            id = base + "_" + k;
        }
        return id;
    }

    static String sanitize(String name) {
        StringBuilder b = new StringBuilder();
        for (char c : name.toCharArray()) {
            boolean ok = c < 128 && (Character.isLetterOrDigit(c) || c == '_');
            char out = ok ? c : '_';
            if (out == '_' && (b.isEmpty() || b.charAt(b.length() - 1) == '_')) {
                continue;
            }
            b.append(out);
        }
        while (!b.isEmpty() && b.charAt(b.length() - 1) == '_') {
            b.setLength(b.length() - 1);
        }
        return b.toString();
    }

    /** A C string literal for {@code s} (printable ASCII kept, everything else as octal escapes of its UTF-8 bytes). */
    static String stringLiteral(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (byte raw : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = raw & 0xff;
            if (c == '"' || c == '\\') {
                b.append('\\').append((char) c);
            } else if (c >= 32 && c < 127 && c != '?') {
                b.append((char) c);
            } else {
                b.append(String.format("\\%03o", c));
            }
        }
        return b.append('"').toString();
    }

    /** Text safe inside a C block comment. */
    static String comment(String s) {
        return s.replace("*/", "* /").replace("/*", "/ *");
    }
}
