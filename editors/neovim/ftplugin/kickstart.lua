-- Kickstart buffers: `#` comments (pykickstart only knows line comments).
if vim.b.did_ftplugin then
  return
end
vim.b.did_ftplugin = 1

vim.bo.commentstring = '# %s'
vim.bo.comments = ':#'
-- Never wrap text automatically: a kickstart command cannot continue on the
-- next line.
vim.bo.formatoptions = (vim.bo.formatoptions:gsub('t', ''))
vim.b.undo_ftplugin = 'setlocal commentstring< comments< formatoptions<'

-- Tree-sitter highlighting (Neovim 0.10+) when a kickstart parser is
-- installed (see the README); the queries are in queries/kickstart/.
-- Set vim.g.kslint_treesitter = false to leave it to your own set-up.
if vim.g.kslint_treesitter ~= false and vim.fn.has('nvim-0.10') == 1 then
  local ok, found = pcall(vim.treesitter.language.add, 'kickstart')
  if ok and found then
    pcall(vim.treesitter.start, 0, 'kickstart')
  end
end
