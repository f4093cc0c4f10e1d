"""python -m memeops_exporter export NAME... --out DIR [--skip-valid] [--weights PATH] [--test-random-weights SEED [--reduced]] [--reference-images DIR]

Writes DIR/<file>.onnx and DIR/<file>.onnx.manifest.json per model (blip: a directory of files, each with its
manifest). With --test-random-weights the weights are seeded random (the manifest says testOnly and the trainer
refuses the file outside tests); with --skip-valid a model whose real export is already in DIR, whole
(manifest.check_existing), is left as it is; with --reference-images the module's own outputs on those images are
written beside it (reference.py; blip: transformers' generate). Exit 3 when real weights are not reachable here,
naming what is needed. --weights names the real weights file of an entry that takes one (fasterrcnn_vg: a
checkpoint no registry or hub serves), with one NAME."""

import argparse
import json
import sys
from pathlib import Path

from .manifest import check_existing, write_manifest
from .models import MissingSource, entries
from .onnx_export import export_onnx
from .reference import write_reference


def main(argv: list[str]) -> int:
    known = entries()
    parser = argparse.ArgumentParser(prog="memeops_exporter")
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="export models to ONNX with a manifest")
    exp.add_argument("names", nargs="+", metavar="NAME", help=f"one of: {', '.join(known)}")
    exp.add_argument("--out", required=True, type=Path)
    exp.add_argument("--skip-valid", action="store_true", help="leave a model whose file and manifest are already in --out and agree")
    exp.add_argument("--weights", type=Path, metavar="PATH", help="the real weights file (entries that take one; one NAME)")
    exp.add_argument("--test-random-weights", type=int, metavar="SEED", help="seeded random weights (test-only file)")
    exp.add_argument("--reduced", action="store_true", help="reduced width/depth (with --test-random-weights)")
    exp.add_argument("--reference-images", type=Path, metavar="DIR", help="also write the module's outputs on these images")
    sub.add_parser("list", help="the models and what each needs")
    imgs = sub.add_parser("test-images", help="write the equivalence fixtures' test images")
    imgs.add_argument("--out", required=True, type=Path)
    roi = sub.add_parser("roi-align-cases", help="write torchvision roi_align means for roi-align.ts's test")
    roi.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)

    if args.command == "test-images":
        from .test_images import write_test_images

        for path in write_test_images(args.out):
            print(f"{path}\t{path.stat().st_size} bytes")
        return 0
    if args.command == "roi-align-cases":
        from .detection_reference import write_roi_align_cases

        print(write_roi_align_cases(args.out))
        return 0
    if args.command == "list":
        for e in known.values():
            print(f"{e.name}\t{e.file_name}\tneeds: {', '.join(e.needs) or '-'}")
        return 0
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown model {', '.join(unknown)}; known: {', '.join(known)}")
    if args.reduced and args.test_random_weights is None:
        parser.error("--reduced needs --test-random-weights (reduced models exist only for tests)")
    if args.skip_valid and args.test_random_weights is not None:
        parser.error("--skip-valid keeps real exports only; it does not go with --test-random-weights")
    if args.weights is not None:
        if len(args.names) != 1 or not known[args.names[0]].takes_weights_file:
            takers = ", ".join(n for n, e in known.items() if e.takes_weights_file)
            parser.error(f"--weights names the weights file of one model that takes one ({takers})")
        if args.test_random_weights is not None:
            parser.error("--weights and --test-random-weights exclude each other")
        if not args.weights.is_file():
            parser.error(f"--weights {args.weights}: no such file")
    args.out.mkdir(parents=True, exist_ok=True)
    missing = []
    for name in args.names:
        entry = known[name]
        if args.skip_valid:
            # checked before building: a model already there needs neither its weights' host nor the CPU time
            problem = next((p for f in entry.output_files() if (p := check_existing(args.out / f, name))), None)
            if problem is None:
                print(json.dumps({"model": name, "file": str(args.out / entry.file_name), "skipped": "a valid export is already there"}), flush=True)
                continue
            print(f"exporting {name}: {problem}", file=sys.stderr, flush=True)
        try:
            if entry.export is not None:
                for result in entry.export(args.out, args.test_random_weights, args.reduced, args.reference_images):
                    print(json.dumps(result), flush=True)
                continue
            built = entry.build(args.test_random_weights, args.reduced, None if args.weights is None else str(args.weights))
        except MissingSource as e:
            missing.append(str(e))
            continue
        onnx_path = args.out / entry.file_name
        seconds = export_onnx(built.module, built.input_name, built.output_names, built.input_shape, onnx_path, built.batch, built.legacy_exporter)
        details = {**built.details, "exportSeconds": round(seconds, 2)}
        manifest = write_manifest(onnx_path, name, built.source, args.test_random_weights is not None, details)
        result = {"model": name, "file": str(onnx_path), "manifest": str(manifest), "bytes": onnx_path.stat().st_size, "exportSeconds": round(seconds, 2)}
        if args.reference_images:
            writer = built.write_reference or write_reference
            result["reference"] = str(writer(built, args.reference_images, onnx_path))
        print(json.dumps(result), flush=True)
    for message in missing:
        print(f"not exported: {message}", file=sys.stderr)
    return 3 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
