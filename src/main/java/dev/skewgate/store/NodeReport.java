package dev.skewgate.store;

import java.time.Instant;
import java.util.Map;

/**
 * What one gateway node publishes about itself every few seconds when several nodes share a PostgreSQL store: its
 * open tabs and traffic, so that the status and the admin API of any node can show the sum over all live nodes.
 *
 * @param node the node's id (kept in its data dir)
 * @param address where its edge listens, for the operator
 * @param startedAt when it started (its own clock: shown, never compared)
 * @param tabs open tabs by site, then by the deployment they booted on
 * @param deployments counts by deployment id, only deployments with something to count
 * @param serving the active deployment this node serves, by site
 */
public record NodeReport(String node, String address, Instant startedAt, Map<String, Map<String, Integer>> tabs,
                         Map<String, Counts> deployments, Map<String, String> serving) {

    /**
     * @param lastRequestMillis the node's wall-clock time of its last request to the deployment (0: none); shown as
     *     the latest over all nodes, never used to order anything
     * @param retiredClient the client address of the latest request after retirement, or null
     */
    public record Counts(int webSockets, long lastMinute, long last5Minutes, long lastRequestMillis,
                         long retiredLast5Minutes, String retiredClient) {
    }
}
