-- Neovim set-up for the headless end-to-end test: the plugin from the
-- repository on the runtimepath, the server binary under test, and one
-- setting passed through to the server. Nothing else: the plugin's own
-- plugin/kslint.lua starts the server, as it does for users.
local repo = assert(os.getenv('KSLINT_REPO'), 'KSLINT_REPO is not set')
vim.opt.runtimepath:prepend(repo .. '/editors/neovim')
vim.opt.swapfile = false
vim.opt.shortmess:append('I')

require('kslint').setup({
  cmd = { assert(os.getenv('KSLINT'), 'KSLINT is not set'), 'lsp' },
  settings = { rules = { ['unused-suppression'] = 'error' } },
})
