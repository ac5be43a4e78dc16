; Generated from grammar/queries/folds.scm by editors/neovim/scripts/sync-queries.sh.
; Edit the original and run the script again.

; Every section folds, from its header to its %end (or its last body line).
[
  (packages_section)
  (script_section)
  (addon_section)
  (anaconda_section)
  (certificate_section)
  (unknown_section)
] @fold
