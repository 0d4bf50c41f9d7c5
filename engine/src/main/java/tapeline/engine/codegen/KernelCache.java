package tapeline.engine.codegen;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import org.codehaus.janino.SimpleCompiler;
import org.codehaus.janino.util.ClassFile;

/**
 * Compiled kernels, once per JVM per program: the key is the generated source itself, which is a
 * function of the tape's program (op codes, inputs, constants, dtype) and of the optimizer's update,
 * never of object identity. So every executor compiles each cost once, whichever run, block or
 * deserialised copy asks, and a run shipped to another JVM finds or makes the same class there.
 *
 * <p>A class whose method would be too large for the JIT ({@value #JIT_LIMIT} bytes of bytecode:
 * C2 leaves larger methods to the bytecode interpreter) or that does not compile is remembered as
 * a failure with its reason, and its tapes run on the interpreter.
 *
 * <p>Set the system property {@code tapeline.codegen.dump} to a directory to have every generated
 * source written there ({@code GeneratedKernel-<sha256 prefix>.java}) when it is compiled.
 */
public final class KernelCache {
    /** C2's limit on a method it compiles ({@code -XX:HugeMethodLimit}, with {@code DontCompileHugeMethods}). */
    public static final int JIT_LIMIT = 8000;
    /** Distinct programs kept; past that the cache starts again (a JVM sees a handful of costs). */
    private static final int CAPACITY = 256;
    /** The system property naming a directory for the generated sources. */
    public static final String DUMP_PROPERTY = "tapeline.codegen.dump";

    /**
     * A compiled program, or why it is not: {@code instance} is the generated class's instance (a
     * {@link GeneratedStep}, or a {@link GeneratedPass} for a train pass), null on failure.
     */
    record Entry(Object instance, String failure, long compileNanos, int largestMethod) {
        /** The sweep's step class. */
        GeneratedStep step() {
            return (GeneratedStep) instance;
        }

        /** The train pass's class. */
        GeneratedPass pass() {
            return (GeneratedPass) instance;
        }

        /** Newton's pass's class. */
        GeneratedNewton newton() {
            return (GeneratedNewton) instance;
        }

        /** An element tape's class. */
        GeneratedElements elements() {
            return (GeneratedElements) instance;
        }
    }

    private static final ConcurrentHashMap<String, Entry> CACHE = new ConcurrentHashMap<>();
    private static final AtomicLong COMPILATIONS = new AtomicLong();

    private KernelCache() {
    }

    /** The compiled class for this source, compiling it on first use (once, also under concurrent use). */
    static Entry get(String source) {
        Entry e = CACHE.get(source);
        if (e != null) return e;
        if (CACHE.size() >= CAPACITY) CACHE.clear();
        return CACHE.computeIfAbsent(source, KernelCache::compile);
    }

    /** One daemon thread compiles for {@link #getAsync}: a JVM compiles a handful of programs, one at a time. */
    private static final ExecutorService COMPILER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tapeline-codegen");
        t.setDaemon(true);
        return t;
    });

    /**
     * As {@link #get}, without waiting: done at once when the source was compiled before, else
     * compiled on a background thread while the caller goes on (the train pass interprets meanwhile).
     */
    static CompletableFuture<Entry> getAsync(String source) {
        Entry e = CACHE.get(source);
        if (e != null) return CompletableFuture.completedFuture(e);
        return inBackground(() -> get(source));
    }

    /** Runs work (generating a source and compiling it) on the compiler's background thread. */
    static <T> CompletableFuture<T> inBackground(java.util.function.Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, COMPILER);
    }

    /** How many sources this JVM compiled so far (each program once, unless the cache was cleared). */
    public static long compilations() {
        return COMPILATIONS.get();
    }

    private static Entry compile(String source) {
        COMPILATIONS.incrementAndGet();
        dump(source);
        long start = System.nanoTime();
        try {
            SimpleCompiler compiler = new SimpleCompiler();
            compiler.setParentClassLoader(GeneratedStep.class.getClassLoader());
            compiler.cook(new StringReader(source));
            int largest = 0;
            String where = null;
            for (ClassFile cf : compiler.getClassFiles()) {
                for (ClassFile.MethodInfo m : cf.methodInfos) {
                    for (ClassFile.AttributeInfo a : m.getAttributes()) {
                        if (a instanceof ClassFile.CodeAttribute code && code.code.length > largest) {
                            largest = code.code.length;
                            where = m.getName();
                        }
                    }
                }
            }
            long nanos = System.nanoTime() - start;
            if (largest > JIT_LIMIT) {
                return new Entry(null, "the generated method " + where + " has " + largest
                        + " bytes of bytecode, over the JIT's limit of " + JIT_LIMIT, nanos, largest);
            }
            // The source declares one top-level class: GeneratedKernel (a step), GeneratedTrainPass, GeneratedHessian or GeneratedElements.
            Class<?> c = compiler.getClassLoader().loadClass(compiler.getClassFiles()[0].getThisClassName());
            return new Entry(c.getDeclaredConstructor().newInstance(), null, nanos, largest);
        } catch (Exception | LinkageError e) {
            // Janino refuses a method over 64 KB, among others: the interpreter runs instead.
            String m = String.valueOf(e.getMessage());
            return new Entry(null, "the generated source did not compile: "
                    + (m.length() > 200 ? m.substring(0, 200) + "..." : m), System.nanoTime() - start, -1);
        }
    }

    private static void dump(String source) {
        String dir = System.getProperty(DUMP_PROPERTY);
        if (dir == null || dir.isBlank()) return;
        try {
            Path d = Path.of(dir);
            Files.createDirectories(d);
            Files.writeString(d.resolve("GeneratedKernel-" + hash(source) + ".java"), source, StandardCharsets.UTF_8);
        } catch (IOException e) {
            // A dump is a debugging aid: failing to write it must not fail the solve.
        }
    }

    /** The first 16 hex digits of the source's SHA-256: a file name for a dump. */
    static String hash(String source) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(source.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
