/** Process-wide shutdown state: set once a termination signal has been received. */
export const lifecycle = { closing: false };
