"""Makes data/fashion-mnist/: the copy of Fashion-MNIST shipped in the repo for machines without Debian's package.

Run once in a dev session (python3 tools/make_fashion_mnist_subset.py); the outputs are committed. Not a build or
test dependency. Copies the full 10,000-image test set (t10k-*.gz) byte for byte from Debian's dataset-fashion-mnist
and writes train-5k-{images-idx3,labels-idx1}-ubyte.gz: the FIRST 5,000 training images and labels, as IDX files
(same header layout, count changed to 5000), gzipped with mtime 0 so that reruns give identical bytes.
Standard library only.
"""
import gzip, os, shutil, struct, sys

SRC = "/usr/share/datasets/fashion-mnist"
DST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "fashion-mnist")
N = 5000


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    got, n = struct.unpack(">II", data[:8])
    if got != magic:
        sys.exit(f"{path}: magic {got:#x}, expected {magic:#x}")
    return n, data


def write_gz(path, data):
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
        f.write(data)


def main():
    os.makedirs(DST, exist_ok=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copyfile(os.path.join(SRC, name), os.path.join(DST, name))

    n, images = read_idx(os.path.join(SRC, "train-images-idx3-ubyte.gz"), 0x803)
    rows, cols = struct.unpack(">II", images[8:16])
    assert n >= N and len(images) == 16 + n * rows * cols
    write_gz(os.path.join(DST, "train-5k-images-idx3-ubyte.gz"),
             struct.pack(">IIII", 0x803, N, rows, cols) + images[16:16 + N * rows * cols])

    n, labels = read_idx(os.path.join(SRC, "train-labels-idx1-ubyte.gz"), 0x801)
    assert n >= N and len(labels) == 8 + n
    write_gz(os.path.join(DST, "train-5k-labels-idx1-ubyte.gz"), struct.pack(">II", 0x801, N) + labels[8:8 + N])


if __name__ == "__main__":
    main()
