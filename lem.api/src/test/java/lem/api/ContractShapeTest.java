package lem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.osgi.annotation.versioning.ConsumerType;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What plugin authors rely on: lem.api holds contracts only (interfaces, records, enums,
 * annotations, exceptions), and every interface says who implements it.
 */
class ContractShapeTest {

    private static List<Class<?>> apiClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(lem.api.backend.InferenceBackend.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String rel = root.relativize(p).toString();
                if (rel.endsWith(".class") && !rel.endsWith("package-info.class") && !rel.contains("$")) {
                    classes.add(Class.forName(rel.replace('/', '.').replace(".class", "")));
                }
            }
        }
        return classes;
    }

    @Test
    void holdsNoImplementationClasses() throws Exception {
        List<String> offenders = new ArrayList<>();
        for (Class<?> c : apiClasses()) {
            boolean allowed = c.isInterface() || c.isRecord() || c.isEnum() || c.isAnnotation()
                    || Exception.class.isAssignableFrom(c);
            if (!allowed) {
                offenders.add(c.getName());
            }
        }
        assertEquals(List.of(), offenders, "classes in lem.api that are not contracts or values");
    }

    @Test
    void everyInterfaceSaysWhoImplementsIt() throws Exception {
        List<String> unmarked = new ArrayList<>();
        int interfaces = 0;
        for (Class<?> c : apiClasses()) {
            if (c.isInterface() && !c.isAnnotation()) {
                interfaces++;
                // the markers have CLASS retention: look for them in the class file, as bnd does
                String bytes = classFileText(c);
                if (!bytes.contains(descriptor(ConsumerType.class)) && !bytes.contains(descriptor(ProviderType.class))) {
                    unmarked.add(c.getName());
                }
            }
        }
        assertTrue(interfaces >= 6, "expected the service interfaces, found " + interfaces);
        assertEquals(List.of(), unmarked, "interfaces without @ConsumerType or @ProviderType");
    }

    private static String descriptor(Class<?> annotation) {
        return "L" + annotation.getName().replace('.', '/') + ";";
    }

    private static String classFileText(Class<?> c) throws IOException {
        try (var in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * A record's fields are final, but a List, Set or Map component is only a value when the
     * record keeps its own unmodifiable copy: every such record is built here from mutable
     * collections, which are changed afterwards, and what the record returns must neither follow
     * that change nor accept one of its own.
     */
    @Test
    void recordsAreImmutableValues() throws Exception {
        List<String> leaks = new ArrayList<>();
        int checked = 0;
        for (Class<?> c : apiClasses()) {
            if (!c.isRecord() || Stream.of(c.getRecordComponents()).noneMatch(rc -> isCollection(rc.getType()))) {
                continue;
            }
            RecordComponent[] components = c.getRecordComponents();
            Object[] arguments = new Object[components.length];
            for (int i = 0; i < components.length; i++) {
                arguments[i] = sample(components[i].getGenericType());
            }
            Object value = c.getDeclaredConstructor(Stream.of(components).map(RecordComponent::getType)
                    .toArray(Class<?>[]::new)).newInstance(arguments);
            for (int i = 0; i < components.length; i++) {
                if (!isCollection(components[i].getType())) {
                    continue;
                }
                checked++;
                String name = c.getSimpleName() + "." + components[i].getName();
                Object before = components[i].getAccessor().invoke(value);
                String copyBefore = String.valueOf(before);
                grow(arguments[i], components[i].getGenericType());
                Object after = components[i].getAccessor().invoke(value);
                if (!String.valueOf(after).equals(copyBefore)) {
                    leaks.add(name + " follows changes to the collection it was built from");
                }
                if (acceptsChange(after)) {
                    leaks.add(name + " can be changed through its accessor");
                }
            }
        }
        assertTrue(checked >= 20, "collection components checked: " + checked);
        assertEquals(List.of(), leaks);
    }

    private static boolean isCollection(Class<?> type) {
        return type == List.class || type == Set.class || type == Map.class;
    }

    /** A valid value of the type: one element in each collection, mutable so that the test can change it. */
    private static Object sample(Type type) throws Exception {
        Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
        if (raw == List.class) {
            List<Object> list = new ArrayList<>();
            list.add(sample(typeArgument(type, 0)));
            return list;
        }
        if (raw == Set.class) {
            Set<Object> set = new HashSet<>();
            set.add(sample(typeArgument(type, 0)));
            return set;
        }
        if (raw == Map.class) {
            Map<Object, Object> map = new HashMap<>();
            map.put(sample(typeArgument(type, 0)), sample(typeArgument(type, 1)));
            return map;
        }
        if (raw == Optional.class) {
            return Optional.empty();
        }
        if (raw == String.class) {
            return "a";
        }
        if (raw == Object.class) {
            return "a";
        }
        if (raw == int.class || raw == Integer.class) {
            return 1;
        }
        if (raw == long.class || raw == Long.class) {
            return 1L;
        }
        if (raw == double.class || raw == Double.class) {
            return 1.0;
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return false;
        }
        if (raw.isEnum()) {
            return raw.getEnumConstants()[0];
        }
        if (raw.isRecord()) {
            RecordComponent[] components = raw.getRecordComponents();
            Object[] arguments = new Object[components.length];
            for (int i = 0; i < components.length; i++) {
                arguments[i] = sample(components[i].getGenericType());
            }
            return raw.getDeclaredConstructor(Stream.of(components).map(RecordComponent::getType)
                    .toArray(Class<?>[]::new)).newInstance(arguments);
        }
        throw new IllegalArgumentException("no sample value for " + type + ": teach ContractShapeTest.sample one");
    }

    private static Type typeArgument(Type type, int index) {
        Type argument = ((ParameterizedType) type).getActualTypeArguments()[index];
        return argument instanceof WildcardType w ? w.getUpperBounds()[0] : argument;
    }

    /** Adds a second, different element to the caller's own collection. */
    @SuppressWarnings("unchecked")
    private static void grow(Object collection, Type type) throws Exception {
        if (collection instanceof List<?> list) {
            ((List<Object>) list).add(sample(typeArgument(type, 0)));
        } else if (collection instanceof Set<?> set) {
            set.clear();
        } else {
            ((Map<Object, Object>) collection).clear();
        }
    }

    @SuppressWarnings("unchecked")
    private static boolean acceptsChange(Object collection) {
        try {
            if (collection instanceof List<?> list) {
                ((List<Object>) list).clear();
            } else if (collection instanceof Set<?> set) {
                set.clear();
            } else {
                ((Map<Object, Object>) collection).clear();
            }
            return true;
        } catch (UnsupportedOperationException refused) {
            return false;
        }
    }
}
