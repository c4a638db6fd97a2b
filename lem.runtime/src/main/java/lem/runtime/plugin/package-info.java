/**
 * The plugin services registered now ({@link lem.runtime.plugin.PluginCatalog}) and the jars in the
 * watched plugins folder that are not installed ({@link lem.runtime.plugin.PluginFolder}). Exported
 * so that the launcher's one-shot mode does not wait for a jar that can never be installed.
 */
@Export
@Version("0.1.0")
package lem.runtime.plugin;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
