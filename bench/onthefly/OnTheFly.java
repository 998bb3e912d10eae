import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.BrotliOutputStream;
import com.aayushatharva.brotli4j.encoder.Encoder;
import java.io.*;
import java.nio.file.*;
import java.util.*;
import java.util.zip.*;

/** The settings of on-the-fly compression: size and speed of gzip and brotli levels, 8 KiB chunks each flushed. */
public class OnTheFly {
    interface Mk { OutputStream make(OutputStream o) throws IOException; }
    static byte[] api() {
        StringBuilder b = new StringBuilder("[");
        Random r = new Random(1);
        for (int i = 0; i < 800; i++) {
            if (i > 0) b.append(',');
            b.append("{\"id\":").append(100000 + r.nextInt(900000)).append(",\"name\":\"user").append(r.nextInt(99999))
             .append("\",\"email\":\"u").append(r.nextInt(99999)).append("@example.com\",\"createdAt\":\"2026-0")
             .append(1 + r.nextInt(9)).append("-1").append(r.nextInt(9)).append("T1").append(r.nextInt(9)).append(":0")
             .append(r.nextInt(9)).append(":00Z\",\"active\":").append(r.nextBoolean()).append(",\"score\":")
             .append(r.nextDouble()).append(",\"tags\":[\"a").append(r.nextInt(20)).append("\",\"b").append(r.nextInt(20)).append("\"]}");
        }
        return b.append(']').toString().getBytes();
    }
    public static void main(String[] a) throws Exception {
        Brotli4jLoader.ensureAvailability();
        Map<String, byte[]> inputs = new LinkedHashMap<>();
        inputs.put("api-json", api());
        inputs.put("package-lock", Files.readAllBytes(Path.of(a[0])));
        Map<String, Mk> coders = new LinkedHashMap<>();
        for (int lvl : new int[]{1, 3, 5, 6}) {
            coders.put("gzip-" + lvl, o -> new GZIPOutputStream(o, 8192, true) {{ def.setLevel(lvl); }});
        }
        for (int q : new int[]{1, 3, 4, 5}) {
            coders.put("br-" + q, o -> new BrotliOutputStream(o, new Encoder.Parameters().setQuality(q).setWindow(18), 16384));
        }
        System.out.println("date " + new Date() + " cpus " + Runtime.getRuntime().availableProcessors() + " java " + System.getProperty("java.version"));
        for (var in : inputs.entrySet()) {
            byte[] data = in.getValue();
            double anchorSize = 0;
            double anchorSpeed = 0;
            for (var c : coders.entrySet()) {
                int size = 0;
                for (int w = 0; w < 30; w++) size = run(c.getValue(), data);
                long t0 = System.nanoTime(); int n = 0;
                while (System.nanoTime() - t0 < 1_000_000_000L) { run(c.getValue(), data); n++; }
                double s = (System.nanoTime() - t0) / 1e9;
                double speed = n * (double) data.length / s / 1e6;
                if (anchorSize == 0) { // gzip-1, nginx's default gzip_comp_level: the anchor of this run
                    anchorSize = size;
                    anchorSpeed = speed;
                }
                System.out.printf("%-13s %-8s in %7d out %7d of-input %.3f  %6.1f MB/s  size/gzip-1 %.2f  speed/gzip-1 %.2f%n",
                        in.getKey(), c.getKey(), data.length, size, (double) size / data.length, speed,
                        size / anchorSize, speed / anchorSpeed);
            }
        }
    }
    // 8 KiB chunks, a flush after each (what a streaming proxy does)
    static int run(Mk mk, byte[] data) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        OutputStream o = mk.make(bo);
        for (int off = 0; off < data.length; off += 8192) {
            o.write(data, off, Math.min(8192, data.length - off));
            o.flush();
        }
        o.close();
        return bo.size();
    }
}
