// Every model/training test runs on the wasm backend (the CPU backend of tests and local runs, FIELD-NOTES).
import { selectBackend } from "../../../trainer-image/src/training/tfjs-backend.ts";

export const useWasm = () => selectBackend({ candidates: ["wasm"] });
