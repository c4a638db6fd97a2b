package lem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    @Test
    void recordsAreImmutableValues() throws Exception {
        for (Class<?> c : apiClasses()) {
            if (c.isRecord()) {
                for (var f : c.getDeclaredFields()) {
                    if (!Modifier.isStatic(f.getModifiers())) {
                        assertTrue(Modifier.isFinal(f.getModifiers()), c.getName() + "." + f.getName());
                    }
                }
            }
        }
    }
}
