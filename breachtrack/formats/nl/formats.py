INSTANT_FORMAT = "D j b Y, H:i"  # za 9 aug 2025, 15:00
DAY_FORMAT = "j b Y"  # 11 aug 2025: Dutch months are lower case ("j M Y" wrote "11 Aug 2025")
