package lem.runtime.plugin;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipException;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * The jars in the watched plugins folder that are not installed as bundles, and why. FileInstall
 * installs what it can and only logs the rest to its own log, so a truncated or corrupt jar would
 * otherwise go unnoticed: {@code lem backends} lists these, and {@link PluginFolderWatch} logs them.
 */
public final class PluginFolder {

    /** The framework property that names the folder FileInstall watches. */
    public static final String FOLDER_PROPERTY = "felix.fileinstall.dir";

    /** A jar in the plugins folder that no installed bundle comes from. */
    public record Unusable(Path file, String reason) {
        @Override
        public String toString() {
            return "plugins/" + file.getFileName() + ": " + reason;
        }
    }

    private PluginFolder() {
    }

    /** The unusable jars of the folder the framework's FileInstall watches; empty when none is set. */
    public static List<Unusable> unusable(BundleContext context) {
        String folder = context.getProperty(FOLDER_PROPERTY);
        if (folder == null || folder.isBlank()) {
            return List.of();
        }
        List<String> locations = new ArrayList<>();
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getLocation() != null) {
                locations.add(bundle.getLocation());
            }
        }
        return unusable(Path.of(folder), locations);
    }

    /**
     * The {@code .jar} files directly in {@code folder} that no bundle was installed from.
     *
     * @param installedLocations the location of every installed bundle (FileInstall's are URLs
     *                           ending in the file's name)
     */
    public static List<Unusable> unusable(Path folder, Collection<String> installedLocations) {
        List<Unusable> unusable = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return unusable;
        }
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(folder, "*.jar")) {
            for (Path jar : jars) {
                String suffix = "/" + jar.getFileName();
                if (installedLocations.stream().noneMatch(location -> location.endsWith(suffix))) {
                    unusable.add(new Unusable(jar, whyNotInstalled(jar)));
                }
            }
        } catch (IOException e) {
            unusable.add(new Unusable(folder, "the plugins folder cannot be listed: " + e.getMessage()));
        }
        unusable.sort((a, b) -> a.file().compareTo(b.file()));
        return unusable;
    }

    /** Why a jar that is not installed cannot be (or is not yet): read from the file itself. */
    public static String whyNotInstalled(Path jar) {
        if (!Files.isRegularFile(jar)) {
            return "not installed: not a regular file";
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            if (manifest == null) {
                return "not installed: the jar has no META-INF/MANIFEST.MF, so it is no OSGi bundle";
            }
            if (manifest.getMainAttributes().getValue("Bundle-SymbolicName") == null) {
                return "not installed: its manifest has no Bundle-SymbolicName, so it is no OSGi bundle";
            }
            return "not installed (yet): a bundle whose installation failed or is pending;"
                    + " FileInstall's log says why";
        } catch (ZipException corrupt) {
            return "not installed: not a readable jar (" + corrupt.getMessage() + "); truncated or corrupt?"
                    + " copy it again";
        } catch (IOException | SecurityException unreadable) {
            return "not installed: cannot be read (" + unreadable.getMessage() + ")";
        }
    }

    /** True when the jar can be installed at all: readable, with a bundle manifest. */
    public static boolean isBundle(Path jar) {
        return whyNotInstalled(jar).startsWith("not installed (yet)");
    }
}
