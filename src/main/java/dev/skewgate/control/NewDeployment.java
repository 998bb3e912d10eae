package dev.skewgate.control;

import dev.skewgate.model.Deployment;
import java.util.List;

/** A deployment just created from a manifest, and the blobs the gateway still needs for it. */
public record NewDeployment(Deployment deployment, List<String> missing, long missingBytes) {
}
