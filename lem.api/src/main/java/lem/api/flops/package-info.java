/** FLOPs strategies: the compute a workload costs, how it was worked out, and how far to trust it. */
@Export
@Version("1.0.0")
package lem.api.flops;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
