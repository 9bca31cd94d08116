-- Four eyes on a name the officers enter (substitute characters, 代替文字): each approval records the name it
-- certifies, so the second officer is held to the same name as the first (OfficerDecisions).
ALTER TABLE officer_approval ADD COLUMN certified_name varchar(256);
