/**
 * An endpoint's `container:` setting: the engine that wraps its workers, the
 * default image, and what every container gets. See docs/hpc.md.
 */
import type { EndpointConfig } from '@funcx-ts/shared/wire/endpoint-config.js';

export type ContainerType = 'podman' | 'docker' | 'apptainer';

export interface ContainerSettings {
  type: ContainerType;
  /** The image workers run in unless their function names its own. */
  image: string;
  /** Added to every `run` (podman, docker) or `exec` (apptainer), before the image. */
  options: string[];
  /** The engine's command. */
  executable: string;
  /** The Python interpreter inside the images. */
  python: string;
}

export function parseContainerSettings(config: EndpointConfig['container']): ContainerSettings | null {
  if (!config) return null;
  return {
    type: config.type,
    image: config.image,
    // options and python: the schema's defaults, already filled in; the engine's command defaults to its type.
    options: config.options!,
    executable: config.executable ?? config.type,
    python: config.python!,
  };
}
