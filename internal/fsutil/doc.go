// Package fsutil holds the file helpers the other packages share: confined reads of recipe
// output, atomic writes (WriteFileAtomic, CreateAtomic, SyncDir), an atomic directory swap
// (SwapDir), one tree copier (CopyTree) and SHA256File. It runs nothing and knows nothing of
// recipes, packages or engines.
package fsutil
