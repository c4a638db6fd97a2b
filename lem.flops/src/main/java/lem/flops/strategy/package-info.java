/**
 * The FLOPs strategies as DS services, ranked: {@code counted} (300), {@code analytical} (200),
 * {@code parameters} (100). Private to the bundle: other code finds them as
 * {@link lem.api.flops.FlopsStrategy} services.
 */
package lem.flops.strategy;
