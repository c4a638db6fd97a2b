/**
 * The architecture of a decoder-only transformer read from a Hugging Face {@code config.json}:
 * its exact parameter count and the FLOPs of a prefill and of each decode step. Framework-free,
 * so that a command or a test can cost a model without an OSGi service.
 */
@Export
@Version("1.0.0")
package lem.flops.analytical;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
