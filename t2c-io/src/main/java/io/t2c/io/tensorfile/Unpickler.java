package io.t2c.io.tensorfile;

import io.t2c.tensor.T2cException;
import java.math.BigInteger;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A minimal pickle virtual machine for the data structures {@code torch.save} writes (protocols 2 to 5). It builds
 * only plain values: {@code None} → null, bool → Boolean, int → Long (BigInteger when wider), float → Double,
 * str → String, bytes → byte[], tuple → unmodifiable List, list → ArrayList, dict → LinkedHashMap (insertion
 * order kept), set → LinkedHashSet.
 *
 * <p>It never imports or calls anything by itself: GLOBAL and STACK_GLOBAL ask {@link Globals}, which returns a
 * {@link Callable} for an allowed name or throws, and REDUCE/NEWOBJ may only call such a Callable. Every length read
 * from the stream is checked against the bytes that remain before anything is allocated. Errors are
 * {@link T2cException}s whose message does not name the file (the caller adds it).
 */
final class Unpickler {
    /** An allowed global that REDUCE or NEWOBJ may call with the argument tuple. */
    interface Callable {
        Object call(List<Object> args);
    }

    /** Resolves {@code module.name}; throws a T2cException for anything not allowed. */
    interface Globals {
        Object find(String module, String name);
    }

    /** Resolves a BINPERSID persistent id (torch uses them for storages). */
    interface PersistentLoader {
        Object load(Object pid);
    }

    private final ByteBuffer in;
    private final Globals globals;
    private final PersistentLoader persistent;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    Unpickler(byte[] data, Globals globals, PersistentLoader persistent) {
        this.in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        this.globals = globals;
        this.persistent = persistent;
    }

    /** A Python tuple: unmodifiable, may hold null, equal to any list with the same items. */
    static List<Object> tuple(Object... items) {
        return Collections.unmodifiableList(Arrays.asList(items));
    }

    /** Runs the pickle to its STOP opcode and returns the object it built. */
    Object load() {
        try {
            return run();
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    private Object run() {
        while (true) {
            int at = in.position();
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8();
                    if (proto > 5) {
                        throw fail("pickle protocol " + proto + " is newer than this reader (2 to 5)", at);
                    }
                }
                case 0x95 -> in.getLong(); // FRAME: only a read-ahead hint; skip its length
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw fail("STOP with " + stack.size() + " objects on the stack", at);
                    }
                    return stack.getFirst();
                }
                case '(' -> marks.add(stack.size()); // MARK
                case '0' -> pop(at); // POP
                case '1' -> popMark(at); // POP_MARK
                case '2' -> push(peek(at)); // DUP
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) in.getInt()); // BININT
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push((long) (in.getShort() & 0xFFFF)); // BININT2
                case 0x8a -> push(longLE(u8(), at)); // LONG1
                case 0x8b -> push(longLE(length(4, at), at)); // LONG4
                case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT, big-endian
                case 'X' -> push(utf8(length(4, at))); // BINUNICODE
                case 0x8c -> push(utf8(u8())); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(length(8, at))); // BINUNICODE8
                case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
                case 'B' -> push(bytes(length(4, at))); // BINBYTES
                case 0x8e -> push(bytes(length(8, at))); // BINBYTES8
                case ')' -> push(tuple()); // EMPTY_TUPLE
                case 0x85 -> push(tuple(pop(at))); // TUPLE1
                case 0x86 -> { // TUPLE2
                    Object b = pop(at);
                    push(tuple(pop(at), b));
                }
                case 0x87 -> { // TUPLE3
                    Object c = pop(at);
                    Object b = pop(at);
                    push(tuple(pop(at), b, c));
                }
                case 't' -> push(tuple(popMark(at).toArray())); // TUPLE
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case 'l' -> push(new ArrayList<>(popMark(at))); // LIST
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case 'd' -> { // DICT
                    Map<Object, Object> d = new LinkedHashMap<>();
                    putPairs(d, popMark(at), at);
                    push(d);
                }
                case 0x8f -> push(new LinkedHashSet<>()); // EMPTY_SET
                case 0x91 -> // FROZENSET
                    push(Collections.unmodifiableSet(new LinkedHashSet<>(hashables(popMark(at), at))));
                case 0x90 -> { // ADDITEMS
                    List<Object> items = hashables(popMark(at), at);
                    set(peek(at), "ADDITEMS", at).addAll(items);
                }
                case 'a' -> { // APPEND
                    Object v = pop(at);
                    list(peek(at), "APPEND", at).add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark(at);
                    list(peek(at), "APPENDS", at).addAll(items);
                }
                case 's' -> { // SETITEM
                    Object v = pop(at);
                    Object k = pop(at);
                    putPairs(dict(peek(at), "SETITEM", at), Arrays.asList(k, v), at);
                }
                case 'u' -> { // SETITEMS
                    List<Object> kv = popMark(at);
                    putPairs(dict(peek(at), "SETITEMS", at), kv, at);
                }
                case 'q' -> memo.put((long) u8(), peek(at)); // BINPUT
                case 'r' -> memo.put(in.getInt() & 0xFFFFFFFFL, peek(at)); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek(at)); // MEMOIZE
                case 'h' -> push(memoGet(u8(), at)); // BINGET
                case 'j' -> push(memoGet(in.getInt() & 0xFFFFFFFFL, at)); // LONG_BINGET
                case 'c' -> push(globals.find(line(at), line(at))); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(at);
                    Object module = pop(at);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail("STACK_GLOBAL needs two strings", at);
                    }
                    push(globals.find(m, n));
                }
                case 'R', 0x81 -> { // REDUCE, NEWOBJ: call an allowed global with a tuple
                    Object args = pop(at);
                    Object fn = pop(at);
                    if (!(fn instanceof Callable c) || !(args instanceof List<?> a)) {
                        throw fail((op == 'R' ? "REDUCE" : "NEWOBJ") + " of something that is not an allowed global",
                                at);
                    }
                    @SuppressWarnings("unchecked")
                    List<Object> argList = (List<Object>) a;
                    push(c.call(argList));
                }
                case 'b' -> { // BUILD: sets attributes (OrderedDict carries _metadata); plain values keep none
                    pop(at);
                    if (!(peek(at) instanceof Map)) {
                        throw fail("BUILD on a " + typeName(peek(at)) + " is not supported", at);
                    }
                }
                case 'Q' -> push(persistent.load(pop(at))); // BINPERSID
                default -> throw fail(String.format("unsupported pickle opcode 0x%02x%s", op,
                        op >= 0x20 && op < 0x7f ? " ('" + (char) op + "')" : ""), at);
            }
        }
    }

    // ---- stack and memo ----

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop(int at) {
        int floor = marks.isEmpty() ? 0 : marks.getLast();
        if (stack.size() <= floor) {
            throw fail("stack underflow", at);
        }
        return stack.removeLast();
    }

    private Object peek(int at) {
        int floor = marks.isEmpty() ? 0 : marks.getLast();
        if (stack.size() <= floor) {
            throw fail("stack underflow", at);
        }
        return stack.getLast();
    }

    /** Pops everything above the last MARK, and the mark. */
    private List<Object> popMark(int at) {
        if (marks.isEmpty()) {
            throw fail("no MARK on the stack", at);
        }
        int from = marks.removeLast();
        List<Object> top = stack.subList(from, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private Object memoGet(long key, int at) {
        if (!memo.containsKey(key)) {
            throw fail("memo key " + key + " was never stored", at);
        }
        return memo.get(key);
    }

    private void putPairs(Map<Object, Object> d, List<Object> kv, int at) {
        if (kv.size() % 2 != 0) {
            throw fail("odd number of items for a dict", at);
        }
        for (int i = 0; i < kv.size(); i += 2) {
            if (!hashable(kv.get(i), 0)) {
                throw fail("dict key of type " + typeName(kv.get(i)) + " is not supported", at);
            }
            d.put(kv.get(i), kv.get(i + 1));
        }
    }

    private static List<Object> hashables(List<Object> items, int at) {
        for (Object o : items) {
            if (!hashable(o, 0)) {
                throw fail("set item of type " + typeName(o) + " is not supported", at);
            }
        }
        return items;
    }

    /**
     * Keys and set items are scalars or (shallow) tuples of them, as in Python; this also keeps a hostile
     * self-containing list out of hashCode, where it would recurse without end.
     */
    private static boolean hashable(Object k, int depth) {
        if (k == null || k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Double
                || k instanceof Boolean) {
            return true;
        }
        if (k instanceof List<?> l && !(k instanceof ArrayList) && depth < 8) {
            for (Object o : l) {
                if (!hashable(o, depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, String op, int at) {
        if (o instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw fail(op + " on a " + typeName(o), at);
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o, String op, int at) {
        if (o instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw fail(op + " on a " + typeName(o), at);
    }

    @SuppressWarnings("unchecked")
    private static Set<Object> set(Object o, String op, int at) {
        if (o instanceof LinkedHashSet<?> m) {
            return (Set<Object>) m;
        }
        throw fail(op + " on a " + typeName(o), at);
    }

    // ---- reading the stream; every length is checked against what remains ----

    private int u8() {
        need(1);
        return in.get() & 0xFF;
    }

    private void need(int n) {
        if (in.remaining() < n) {
            throw truncated();
        }
    }

    private T2cException truncated() {
        return new T2cException("the pickle data is truncated (ends at byte " + in.limit() + " before STOP)");
    }

    /** Reads an unsigned length of {@code width} bytes and checks that many bytes remain. */
    private int length(int width, int at) {
        need(width);
        long n = width == 4 ? in.getInt() & 0xFFFFFFFFL : in.getLong();
        if (n < 0 || n > in.remaining()) {
            throw fail("length " + Long.toUnsignedString(n) + " runs past the end of the pickle data", at);
        }
        return (int) n;
    }

    private Object longLE(int n, int at) {
        need(n);
        if (n == 0) {
            return 0L;
        }
        byte[] be = new byte[n];
        for (int i = n - 1; i >= 0; i--) {
            be[i] = in.get();
        }
        BigInteger v = new BigInteger(be); // two's complement, as pickle's LONG1/LONG4
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String utf8(int n) {
        need(n);
        String s = new String(in.array(), in.position(), n, StandardCharsets.UTF_8);
        in.position(in.position() + n);
        return s;
    }

    private byte[] bytes(int n) {
        need(n);
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    /** A newline-terminated ASCII line (GLOBAL's module and name). */
    private String line(int at) {
        int start = in.position();
        for (int i = start; i < in.limit(); i++) {
            if (in.get(i) == '\n') {
                in.position(i + 1);
                return new String(in.array(), start, i - start, StandardCharsets.US_ASCII);
            }
        }
        throw truncated();
    }

    private static String typeName(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    private static T2cException fail(String what, int at) {
        return new T2cException("corrupt or unsupported pickle at byte " + at + ": " + what);
    }
}
