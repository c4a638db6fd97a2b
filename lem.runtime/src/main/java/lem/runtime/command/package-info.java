/**
 * The {@code lem:} Gogo commands' typed results and their table rendering. Exported so that the
 * launcher's one-shot mode and other shells can format and recognise them.
 */
@Export
@Version("0.1.0")
package lem.runtime.command;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
