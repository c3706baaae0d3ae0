# Tidies scdoc's roff so that mandoc -T lint has nothing to warn of: scdoc writes empty
# paragraph macros (after headings, twice in a row, and closing every indented block).
function flush() { if (held) print ".P"; held = 0 }
/^\.P$/ {
  # A paragraph break right after a heading, the title or another break is empty.
  if (last ~ /^\.(SH|SS|TH|P|PP)( |$)/ || last == "") next
  held = 1
  next
}
/^\.RE$/ && held {
  # Closing the indent first keeps the blank line between list entries, where it belongs.
  print
  last = $0
  next
}
{
  # A break just before a heading starts nothing: the heading makes its own space.
  if ($0 ~ /^\.(SH|SS)( |$)/) held = 0
  flush()
  print
  if ($0 !~ /^\.\\"/) last = $0
}
