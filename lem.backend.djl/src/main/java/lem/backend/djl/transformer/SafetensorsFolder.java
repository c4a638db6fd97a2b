package lem.backend.djl.transformer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The tensors of a Hugging Face folder's {@code *.safetensors} files (single, or sharded with
 * {@code model.safetensors.index.json}). Format: an 8-byte little-endian header length, a JSON
 * header mapping each tensor name to {@code dtype}, {@code shape} and {@code data_offsets}
 * (relative to the end of the header), then the raw little-endian data.
 */
public final class SafetensorsFolder {

    /** Where one tensor's bytes are. */
    public record Entry(String name, String dtype, long[] shape, Path file, long dataStart, long byteLength) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private SafetensorsFolder() {
    }

    /** Reads every header of the folder's safetensors files. */
    public static SafetensorsFolder open(Path folder) throws ConfigException {
        SafetensorsFolder result = new SafetensorsFolder();
        Path index = folder.resolve("model.safetensors.index.json");
        List<Path> files = new ArrayList<>();
        if (Files.isRegularFile(index)) {
            Object map = JsonFiles.readObject(index).get("weight_map");
            if (!(map instanceof Map<?, ?> weightMap)) {
                throw new ConfigException(index + ": key weight_map is missing");
            }
            for (Object file : new TreeSet<>(weightMap.values().stream().map(String::valueOf).toList())) {
                files.add(folder.resolve(file.toString()));
            }
        } else {
            try (Stream<Path> list = Files.list(folder)) {
                list.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().forEach(files::add);
            } catch (IOException e) {
                throw new ConfigException(folder + " cannot be listed: " + e.getMessage(), e);
            }
        }
        if (files.isEmpty()) {
            throw new ConfigException(folder + " holds no *.safetensors file");
        }
        for (Path file : files) {
            result.readHeader(file);
        }
        return result;
    }

    private void readHeader(Path file) throws ConfigException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (size < 8 || channel.read(lengthBytes, 0) != 8) {
                throw new ConfigException(file + " is not a safetensors file: shorter than its 8-byte header length");
            }
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > size - 8 || headerLength > 100_000_000) {
                throw new ConfigException(file + " is not a safetensors file: header length " + headerLength
                        + " does not fit the file size " + size);
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            while (header.hasRemaining()) {
                if (channel.read(header, 8 + header.position()) < 0) {
                    throw new ConfigException(file + ": header ends early");
                }
            }
            String json = new String(header.array(), StandardCharsets.UTF_8);
            Map<String, Object> map = JsonFiles.parseObject(json, file + " (safetensors header)");
            long dataStart = 8 + headerLength;
            for (Map.Entry<String, Object> e : map.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                if (!(e.getValue() instanceof Map<?, ?> info)) {
                    throw new ConfigException(file + ": tensor " + e.getKey() + " has no description");
                }
                String dtype = String.valueOf(info.get("dtype"));
                long[] shape = toLongs(info.get("shape"), file, e.getKey(), "shape");
                long[] offsets = toLongs(info.get("data_offsets"), file, e.getKey(), "data_offsets");
                if (offsets.length != 2 || offsets[1] < offsets[0] || dataStart + offsets[1] > size) {
                    throw new ConfigException(file + ": tensor " + e.getKey() + " has data_offsets "
                            + Arrays.toString(offsets) + " outside the file (" + size + " bytes)");
                }
                entries.put(e.getKey(), new Entry(e.getKey(), dtype, shape, file, dataStart + offsets[0],
                        offsets[1] - offsets[0]));
            }
        } catch (IOException e) {
            throw new ConfigException(file + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static long[] toLongs(Object value, Path file, String tensor, String key) throws ConfigException {
        if (!(value instanceof List<?> list)) {
            throw new ConfigException(file + ": tensor " + tensor + " has no " + key);
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Number n)) {
                throw new ConfigException(file + ": tensor " + tensor + " has a non-numeric " + key);
            }
            out[i] = n.longValue();
        }
        return out;
    }

    /** The tensor's entry, or null. */
    public Entry entry(String name) {
        return entries.get(name);
    }

    /** Bytes per element of a safetensors dtype, or 0 when it is not one this backend reads. */
    public static int elementBytes(String dtype) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> 0;
        };
    }

    /** The tensor's raw bytes, memory-mapped, little-endian. */
    public static ByteBuffer map(Entry entry) throws ConfigException {
        try (FileChannel channel = FileChannel.open(entry.file(), StandardOpenOption.READ)) {
            return channel.map(FileChannel.MapMode.READ_ONLY, entry.dataStart(), entry.byteLength())
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new ConfigException(entry.file() + ": tensor " + entry.name() + " cannot be read: "
                    + e.getMessage(), e);
        }
    }
}
