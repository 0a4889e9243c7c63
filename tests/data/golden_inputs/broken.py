# Input of the golden files: not valid UTF-8, so it gets NAN000.
x = 'ÿ'
