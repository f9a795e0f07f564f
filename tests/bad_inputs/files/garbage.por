this is not an SPSS portable file
