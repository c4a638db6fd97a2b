/**
 * Inference backends: open a model, generate for requests, and report a timestamped event for
 * every generated token. Every timestamp is {@link System#nanoTime()}.
 */
@Export
@Version("1.3.0")
package lem.api.backend;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
