-- Neovim 0.11+: the configuration `vim.lsp.enable('kslint')` starts.
-- Override fields with vim.lsp.config('kslint', { ... }) or
-- require('kslint').setup{ ... }.
local config = require('kslint').client_config()
config.name = nil
return config
