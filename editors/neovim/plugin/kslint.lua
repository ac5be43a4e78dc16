-- kslint: kickstart filetype detection, the language server, and the
-- :KickstartBuildIso, :KickstartExplain and :KickstartRestart commands.
-- Set vim.g.kslint_autostart = false to start the server yourself
-- (require('kslint').start(), nvim-lspconfig or vim.lsp.enable('kslint')).
if vim.g.kslint_plugin_loaded then
  return
end
vim.g.kslint_plugin_loaded = true

local kslint = require('kslint')
kslint.detect_filetypes()
kslint.create_commands()
if vim.g.kslint_autostart ~= false and kslint.config.autostart then
  kslint.autostart()
end
