/**
 * What a model is: the spec a user asks for and the description of what was opened.
 * Shared by backends (which open models) and FLOPs strategies (which cost them).
 */
@Export
@Version("1.0.0")
package lem.api.model;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
