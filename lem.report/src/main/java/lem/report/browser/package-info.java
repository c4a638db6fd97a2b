/**
 * Debian's chromium-headless-shell run on local pages: screenshots and the DOM after scripts ran.
 * Exported so that the in-framework tests open the report and the live view in the same browser,
 * the same way.
 */
@Export
@Version("0.1.0")
package lem.report.browser;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
