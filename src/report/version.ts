/** The meshsim version (results.json `meshsim`, `meshsim --version`). Its own module so `--version` loads nothing else. */
export const MESHSIM_VERSION = '0.1.0';
