// The WASI functions Envoy provides (proxy-wasm-cpp-host FOR_ALL_WASI_FUNCTIONS) that the filter
// uses: a random seed and the VM's environment variables (VmConfig.environment_variables).
// AssemblyScript names the import module after this file.

export declare function random_get(bufPtr: usize, bufLen: usize): u16;
export declare function environ_sizes_get(countPtr: usize, bufSizePtr: usize): u16;
export declare function environ_get(environPtr: usize, environBufPtr: usize): u16;
