"""Reading manifests from disk the way `kubectl apply -f` does.

The modules, lowest first: ``gojson`` (Go's encoding/json scanner), ``goyaml`` (go-yaml v2
decoding), ``documents`` (Document, ManifestError, LoadResult, FileInfo, kind checks,
field_line), ``paths`` (the folder walk and editors' side files), ``loader`` (streams,
ParseCache, load_file, load_paths). Import a name from the module that owns it.
"""
